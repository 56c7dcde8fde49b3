"""The results worker: recounts and broadcasts leave the request path and the app processes.

App processes only note a change (the ``results:changed:<slug>`` mark inside the transaction, then a wake-up after the
commit, ``results.wakeups``); the worker recounts and broadcasts through the funnel (``services.refresh_tallies``,
coalesced as before). Where it runs is ``settings.RESULTS_WORKER``:

- ``process`` (server mode): ``manage.py results_worker``, started beside the app nodes. Exactly one is active per
  deployment: it holds a PostgreSQL session advisory lock on a connection of its own, and the others stand by, asking
  for the lock every ``STANDBY_POLL`` seconds. PostgreSQL releases the lock when the holder's connection dies, so a
  killed worker hands over within seconds.
- ``background`` (embedded mode): a task on the event loop of the server process (``with_results_worker``), which
  hands each recount to a worker thread. The embedded mode is one process anyway: its memory cache and in-memory
  channel layer are out of reach of any other.
- ``inline``: no worker; each app process refreshes after its own commits.

Redis holds only derived data, so a worker never trusts the wake-ups alone: when it becomes active (and after Redis
failed) it recounts every election changed since its last recount according to the database (the audit log against
``ResultsVersion.updated_at``) or to a pending change mark, and every ``SWEEP_EVERY`` seconds it recounts any election
whose change mark is well past its last recount (a wake-up lost between a commit and its push).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import psycopg
from asgiref.sync import sync_to_async
from asgiref.typing import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, Scope
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, connection

from elections.models import Election
from results.models import ResultsVersion
from results.services import changed_key, refresh_tallies, stale_after
from results.wakeups import discard_wakeups, local_wakeups, wait_for_wakeups
from trust.models import AuditEvent

logger = logging.getLogger(__name__)

# The advisory lock whose holder is the deployment's active worker ("resu"; the audit chain's is "vote").
WORKER_LOCK_ID = 0x72657375
# A standing-by worker asks for the lock this often: a killed worker is replaced within about this long.
STANDBY_POLL = 1.0
# The active worker waits this long for a wake-up before checking its lock and sweeping.
WAKEUP_WAIT = 1.0
# How often the active worker looks for changes whose wake-up was lost.
SWEEP_EVERY = 1.0
# How often the active worker makes sure its lock's connection is still there.
LOCK_CHECK_EVERY = 1.0


def worker_mode() -> str:
    return str(getattr(settings, "RESULTS_WORKER", "inline"))


def elections_behind(*, taking_over: bool) -> list[int]:
    """The elections whose served results may not count every committed change.

    Taking over (a worker starting, or Redis back after a failure), generously: changed, by the audit log or by a
    change mark, since shortly before its last recount. While serving, only a change mark well past the last recount
    (the normal path recounts within a window, so only a lost wake-up is that late).
    """
    margin = stale_after()
    elections = list(Election.objects.values_list("pk", "slug"))
    if not elections:
        return []
    recounted = dict(ResultsVersion.objects.values_list("election_id", "updated_at"))
    marks = cache.get_many([changed_key(slug) for _pk, slug in elections])
    behind = []
    for election_id, slug in elections:
        last = recounted.get(election_id)
        last_at = last.timestamp() if last is not None else None
        mark = marks.get(changed_key(slug))
        changed_at = float(mark) if mark is not None else None
        if taking_over and changed_at is None:
            audited = (
                AuditEvent.objects.filter(election_id=election_id).order_by("-pk").values_list("at", flat=True).first()
            )
            changed_at = audited.timestamp() if audited is not None else None
        if changed_at is None:
            continue
        if last_at is None or changed_at > last_at + (-margin if taking_over else margin):
            behind.append(election_id)
    return behind


def refresh_elections(election_ids: Iterable[int]) -> None:
    """Bring each election's served results up to date through the funnel (coalesced per election)."""
    for election_id in sorted(set(election_ids)):
        refresh_tallies(election_id=election_id)


class LeaderLock:
    """The deployment's one active worker: a PostgreSQL session advisory lock held on a connection of its own (not
    Django's pooled ones: a session lock must not go back to a pool with its connection)."""

    def __init__(self) -> None:
        self._connection: psycopg.Connection[Any] | None = None
        self._checked_at = 0.0

    def try_acquire(self) -> bool:
        if self._connection is None:
            self._connection = _connect_for_lock()
        row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", (WORKER_LOCK_ID,)).fetchone()
        self._checked_at = time.monotonic()
        return bool(row and row[0])

    def still_held(self) -> bool:
        """False once the lock's connection is gone (and with it the lock, which another worker may hold now); asks
        the database at most once a second."""
        if self._connection is None:
            return False
        if time.monotonic() - self._checked_at < LOCK_CHECK_EVERY:
            return True
        try:
            self._connection.execute("SELECT 1")
            self._checked_at = time.monotonic()
        except psycopg.Error:
            logger.warning("The results worker lost its database connection, and with it the lead")
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


class NoLock:
    """SQLite: one process runs the embedded mode, there is nobody to stand by for."""

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def _connect_for_lock() -> psycopg.Connection[Any]:
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=str(params.get("PORT") or "") or None,
        autocommit=True,
        connect_timeout=5,
        # A network that drops the connection silently still ends the lead within seconds.
        keepalives=1,
        keepalives_idle=5,
        keepalives_interval=2,
        keepalives_count=2,
        tcp_user_timeout=5000,
        application_name="votetracker-results-worker",
    )


class ResultsWorker:
    """The ``manage.py results_worker`` loop: stand by until it holds the lock, then recount what is woken and behind.

    ``announce`` hears "active" and "standing by" when the worker's role changes; ``heartbeat``, when given, is
    touched on every turn of the loop (a container's health check reads it).
    """

    def __init__(
        self,
        *,
        lock: LeaderLock | NoLock,
        announce: Callable[[str], None] | None = None,
        heartbeat: Path | None = None,
    ) -> None:
        self.lock = lock
        self.announce = announce or (lambda _state: None)
        self.heartbeat = heartbeat
        self._state = ""

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._beat()
            try:
                leading = self.lock.try_acquire()
            except (psycopg.Error, DatabaseError):
                logger.exception("The results worker cannot reach the database; trying again")
                self.lock.release()
                leading = False
            if not leading:
                self._become("standing by")
                stop.wait(STANDBY_POLL)
                continue
            self._become("active")
            try:
                self._lead(stop)
            finally:
                self.lock.release()
                self._state = ""

    def _lead(self, stop: threading.Event) -> None:
        taking_over = True
        next_sweep = 0.0
        while not stop.is_set() and self.lock.still_held():
            self._beat()
            try:
                if taking_over:
                    discard_wakeups()
                    refresh_elections(elections_behind(taking_over=True))
                    taking_over = False
                    next_sweep = time.monotonic() + SWEEP_EVERY
                refresh_elections(wait_for_wakeups(timeout=WAKEUP_WAIT))
                if time.monotonic() >= next_sweep:
                    refresh_elections(elections_behind(taking_over=False))
                    next_sweep = time.monotonic() + SWEEP_EVERY
            except Exception:  # Redis or the database failed: wait, then catch up as if taking over.
                logger.exception("The results worker failed; catching up again shortly")
                taking_over = True
                stop.wait(STANDBY_POLL)
            finally:
                close_old_connections()

    def _become(self, state: str) -> None:
        if state != self._state:
            self._state = state
            logger.info("Results worker %s", state)
            self.announce(state)

    def _beat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.touch()


def leader_lock() -> LeaderLock | NoLock:
    return LeaderLock() if connection.vendor == "postgresql" else NoLock()


# The embedded mode's worker: a task on the server's event loop.
_background: asyncio.Task[None] | None = None


def _refresh_in_thread(election_ids: set[int], taking_over: bool) -> None:
    try:
        if taking_over:
            election_ids = election_ids | set(elections_behind(taking_over=True))
        refresh_elections(election_ids)
    except Exception:  # A failing recount must not end the worker; the next wake-up or reader tries again.
        logger.exception("The results worker could not recount elections %s", sorted(election_ids))
    finally:
        close_old_connections()


async def run_background_worker() -> None:
    """Recount the elections this process's commits name, off their requests: each batch in a worker thread (so the
    in-memory channel layer is still used from this loop, through the funnel's ``call_async``)."""
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    local_wakeups.listen(lambda: loop.call_soon_threadsafe(woken.set))
    try:
        await sync_to_async(_refresh_in_thread, thread_sensitive=False)(local_wakeups.take(), True)
        while True:
            await woken.wait()
            woken.clear()
            await sync_to_async(_refresh_in_thread, thread_sensitive=False)(local_wakeups.take(), False)
    finally:
        local_wakeups.listen(None)


def start_background_worker() -> asyncio.Task[None] | None:
    """Start the background worker on the running loop unless it already runs there (``background`` mode only)."""
    global _background
    if worker_mode() != "background":
        return None
    loop = asyncio.get_running_loop()
    if _background is None or _background.done() or _background.get_loop() is not loop:
        _background = loop.create_task(run_background_worker(), name="results-worker")
    return _background


async def stop_background_worker() -> None:
    global _background
    task, _background = _background, None
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def with_results_worker(application: ASGI3Application) -> ASGI3Application:
    """``application``, starting the background worker on the server's loop at its first call (the embedded mode's
    server is then also its results worker)."""

    async def serve(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        running = _background
        if running is None or running.done() or running.get_loop() is not asyncio.get_running_loop():
            start_background_worker()
        await application(scope, receive, send)

    return serve
