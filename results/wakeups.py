"""How an app process tells the results worker that an election changed, without recounting itself.

Two carriers, one per kind of worker (``settings.RESULTS_WORKER``, see ``results.worker``):

- ``process``: a Redis list shared by every app node (``RPUSH`` of the election's id after the commit, trimmed to the
  newest ``KEPT_WAKEUPS``); the active ``manage.py results_worker`` waits on it with ``BLPOP``. A list, not pub/sub, so
  a wake-up sent while the worker blinks is still there; one lost anyway (Redis flushed, a node killed between commit
  and push, the list trimmed) is caught up by the worker from the change marks and the database.
- ``background``: a queue in this process, read by the worker task running on the server's event loop.

Redis holds only derived data here too: the list is a shortcut to what the worker could find out on its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

WAKEUPS_KEY = "results:wakeups"
# The list is trimmed to this many ids: a worker away for longer catches up from the database instead.
KEPT_WAKEUPS = 10_000


def _redis() -> Any:  # django-redis's client is untyped
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _list_key() -> str:
    return cache.make_and_validate_key(WAKEUPS_KEY)


def send_wakeup(*, election_id: int) -> bool:
    """Ask the results worker to recount ``election_id`` (after the commit); False when Redis could not be told, in
    which case the worker's sweep or the next reader makes the refresh up."""
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.rpush(_list_key(), election_id)
        pipe.ltrim(_list_key(), -KEPT_WAKEUPS, -1)
        pipe.execute()
    except Exception:  # A lost wake-up is made up later; the entry stands.
        logger.exception("Could not wake the results worker for election %s", election_id)
        return False
    return True


def wait_for_wakeups(*, timeout: float) -> set[int]:
    """The elections named since the last call, waiting up to ``timeout`` seconds for the first (``BLPOP``), then
    taking all the others at once; raises when Redis cannot be reached."""
    client = _redis()
    key = _list_key()
    first = client.blpop([key], timeout=timeout)
    if first is None:
        return set()
    pipe = client.pipeline(transaction=True)
    pipe.lrange(key, 0, -1)
    pipe.delete(key)
    rest, _deleted = pipe.execute()
    return {int(raw) for raw in [first[1], *rest]}


def discard_wakeups() -> None:
    """Forget the wake-ups waiting (a worker that takes over recounts what is behind anyway)."""
    _redis().delete(_list_key())


class LocalWakeups:
    """The ``background`` carrier: elections waiting for the worker task of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: set[int] = set()
        self._listener: Callable[[], object] | None = None

    def listen(self, listener: Callable[[], object] | None) -> None:
        """``listener`` is called (from the committing thread) after each wake-up; None when the worker stops."""
        with self._lock:
            self._listener = listener

    def send(self, *, election_id: int) -> bool:
        """Hand ``election_id`` to this process's worker; False when none is listening (the caller recounts)."""
        with self._lock:
            listener = self._listener
            if listener is None:
                return False
            self._waiting.add(election_id)
        try:
            listener()
        except RuntimeError:  # its event loop has closed: nobody is listening any more
            self.listen(None)
            return False
        return True

    def take(self) -> set[int]:
        with self._lock:
            waiting, self._waiting = self._waiting, set()
        return waiting


local_wakeups = LocalWakeups()
