"""VoteTracker's settings plus what only a benchmark needs: two extra routes (``bench.urls``), a count of the SQL
statements requests send and, on Redis, a channel prefix of its own (``BENCH_CHANNEL_PREFIX``, default ``vtbench``),
so a benchmark never talks to another run's servers through a shared Redis: pub/sub channels are server-wide, not
per Redis database."""

from __future__ import annotations

import os
from typing import Any, cast

from votetracker.settings import *  # noqa: F403
from votetracker.settings import CHANNEL_LAYERS, CONFIG, MIDDLEWARE, SERVER_MODE

ROOT_URLCONF = "bench.urls"
# Counts the SQL statements of every request, for the entry scenarios' query budget (``/bench/statements``).
MIDDLEWARE = ["bench.views.CountStatements", *MIDDLEWARE]
# The entry benchmark sends every request with one token: count them (the limit's cost is measured) but never refuse.
ENTRY_API_RATE = "100000000/min"
# Only the Redis layer takes a prefix; a SQLite DATABASE_URL alone is server mode on the in-memory layer.
if SERVER_MODE and CONFIG.redis_url:
    cast(dict[str, Any], CHANNEL_LAYERS["default"]["CONFIG"])["prefix"] = os.environ.get(
        "BENCH_CHANNEL_PREFIX", "vtbench"
    )
