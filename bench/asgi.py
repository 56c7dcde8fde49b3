"""VoteTracker's ASGI application under the benchmark's settings (one extra baseline route, own channel prefix)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from votetracker.asgi import application

__all__ = ["application"]
