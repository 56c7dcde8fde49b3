"""VoteTracker's settings plus what only a benchmark needs: one extra route (``bench.urls``) and, on Redis, a
channel prefix of its own, so a benchmark never talks to another run's servers through a shared Redis."""

from __future__ import annotations

from typing import Any, cast

from votetracker.settings import *  # noqa: F403
from votetracker.settings import CHANNEL_LAYERS, SERVER_MODE

ROOT_URLCONF = "bench.urls"
# The entry benchmark sends every request with one token: count them (the limit's cost is measured) but never refuse.
ENTRY_API_RATE = "100000000/min"
if SERVER_MODE:
    cast(dict[str, Any], CHANNEL_LAYERS["default"]["CONFIG"])["prefix"] = "vtbench"
