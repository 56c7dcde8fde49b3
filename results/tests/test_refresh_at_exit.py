"""A command that enters data and exits within the broadcast window still sends its last refresh."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django.core.cache import cache

from elections.models import Election
from results.services import _sent_key, current_version
from votetracker.tests.servers import ROOT, server_environment

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

COMMAND = """
import django
django.setup()
from django.conf import settings
from django.core.cache import cache
from results import refreshes, services
# A long window: only the exit can make this refresh go out before the process ends.
settings.RESULTS_BROADCAST_INTERVAL = 30
cache.add(refreshes.gate_key({election_id}), 1, 30)  # another refresh holds the gate, so this one trails
services.refresh_tallies(election_id={election_id})
"""


# By the time the last refresh goes out the interpreter's thread pools are shut down; a Redis host given by name
# must still be looked up.
@pytest.mark.parametrize("redis_host", ["127.0.0.1", "localhost"])
def test_a_trailing_refresh_is_sent_when_the_process_exits(published: Election, redis_host: str) -> None:
    sent_before = int(cache.get(_sent_key(published.pk)) or 0)
    environment = server_environment()
    environment["REDIS_URL"] = environment["REDIS_URL"].replace("127.0.0.1", redis_host)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", COMMAND.format(election_id=published.pk)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    # It did not wait out the 30 s window, and what it counted went out to the viewers.
    assert took < 20
    assert int(cache.get(_sent_key(published.pk)) or 0) == current_version(election_id=published.pk) > sent_before
