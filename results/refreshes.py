"""When the funnel recounts: the refresh window of each election, its gate, and the trailing refresh at its end.

The first refresh of an election in a window takes the gate (``gate_key``) and recounts at once; later ones within
the window leave one ``TrailingRefreshes`` entry in their own process, which recounts when the window ends (see
``results.services`` for the funnel itself). Under an ASGI server both run on the server's event loop
(``results.loops``); elsewhere the trailing refresh waits on a timer thread, flushed when the main thread ends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Protocol

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection

from results.loops import call_when_main_thread_ends, server_loop

logger = logging.getLogger(__name__)

# A trailing broadcast that cannot take the gate this many times in a row gives up (the cache is down).
MAX_GATE_ATTEMPTS = 40
# Refreshes of one election start at least this many times their own last duration apart, so that under an entry
# peak recounting takes at most about a third of the process and the entries keep the rest.
RECOUNT_SPACING = 3.0
# ...but never further apart than this, so that an accepted entry still reaches the pages within a second.
MAX_REFRESH_WINDOW = 0.5
# How long the last recount and broadcast of each election took in this process (wall clock, so a busy process
# spaces its refreshes further apart); the funnel records it after each recount.
last_refresh_seconds: dict[int, float] = {}


class Recount(Protocol):
    """The funnel's recount-and-send of one election."""

    def __call__(self, *, election_id: int) -> None: ...


def gate_key(election_id: int) -> str:
    """The cache key whose holder may recount ``election_id`` now; it expires when the window ends."""
    return f"results:gate:{election_id}"


def broadcast_interval() -> float:
    return float(getattr(settings, "RESULTS_BROADCAST_INTERVAL", 0.25))


def refresh_window(election_id: int) -> float:
    """The gate's length for ``election_id``: the broadcast interval, longer (up to ``MAX_REFRESH_WINDOW``) while a
    refresh costs more than a third of it."""
    spaced = RECOUNT_SPACING * last_refresh_seconds.get(election_id, 0.0)
    return max(broadcast_interval(), min(spaced, MAX_REFRESH_WINDOW))


class TrailingRefreshes:
    """At most one pending end-of-window refresh per election in this process.

    ``recount`` is the funnel's recount-and-send (``results.services.recount_and_send``), called when one is due.
    """

    def __init__(self, *, recount: Recount) -> None:
        self._recount = recount
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self._tasks: set[asyncio.Future[None]] = set()
        self._timers: dict[int, threading.Timer] = {}
        # The process that set up the flush at exit (a forked child has to set up its own).
        self._flushing_at_exit_in: int | None = None

    def start_soon(self, *, election_id: int) -> bool:
        """Under an ASGI server, recount and send in a worker thread now rather than in the request's thread, so the
        entry is answered without waiting for the recount; False elsewhere (the caller then does it itself).

        Not on SQLite (the embedded mode): it runs one writer at a time, so a recount in another thread would only
        contend with the next entry for the database instead of overlapping with it.
        """
        loop = server_loop()
        if loop is None or connection.vendor == "sqlite":
            return False

        def start() -> None:
            runner = sync_to_async(self.recount_in_thread, thread_sensitive=False)
            task = asyncio.ensure_future(runner(election_id=election_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        loop.call_soon_threadsafe(start)
        return True

    def recount_in_thread(self, *, election_id: int) -> None:
        try:
            self._recount(election_id=election_id)
        finally:
            close_old_connections()

    def schedule(self, *, election_id: int, delay: float, attempt: int = 0) -> None:
        with self._lock:
            if election_id in self._pending:
                # One is already waiting; it recounts after this commit too.
                return
            self._pending.add(election_id)
        loop = server_loop()
        if loop is not None:
            # Under an ASGI server: fire on its event loop, so an in-process channel layer is used from its own loop.
            def start() -> None:
                runner = sync_to_async(self.fire_in_thread, thread_sensitive=False)
                task = asyncio.ensure_future(runner(election_id=election_id, attempt=attempt))
                # The loop keeps only weak references to tasks; hold this one until it is done.
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

            loop.call_soon_threadsafe(loop.call_later, delay, start)
        else:
            timer = threading.Timer(delay, self.fire_in_thread, kwargs={"election_id": election_id, "attempt": attempt})
            timer.daemon = False  # whatever thread schedules it: the process waits for a refresh being sent
            with self._lock:
                self._timers[election_id] = timer
            self._flush_before_exit()
            timer.start()

    def _flush_before_exit(self) -> None:
        """A command (no ASGI server) that exits within the window sends its last refresh before it goes: once the
        main thread has ended, the waiting timers are cancelled and their refreshes run at once (timer threads are
        not daemons, so the interpreter also waits for one that is already firing)."""
        with self._lock:
            if self._flushing_at_exit_in == os.getpid():
                return
            self._flushing_at_exit_in = os.getpid()
        call_when_main_thread_ends(self._fire_all_now)

    def _fire_all_now(self) -> None:
        with self._lock:
            timers, self._timers = self._timers, {}
        for election_id, timer in timers.items():
            timer.cancel()
            self.fire_in_thread(election_id=election_id, attempt=MAX_GATE_ATTEMPTS)

    def fire_in_thread(self, *, election_id: int, attempt: int) -> None:
        # Outside a request nothing else gives the thread's database connection back to the pool.
        try:
            self.fire(election_id=election_id, attempt=attempt)
        finally:
            close_old_connections()

    def fire(self, *, election_id: int, attempt: int) -> None:
        """Recount and send once the window is over; while another refresh holds the gate, wait one more window."""
        with self._lock:
            self._pending.discard(election_id)
            self._timers.pop(election_id, None)
        interval = refresh_window(election_id)
        try:
            if attempt >= MAX_GATE_ATTEMPTS or cache.add(gate_key(election_id), 1, interval):
                self._recount(election_id=election_id)
                return
        except Exception:  # A failing cache or database must not kill the timer thread or the event loop.
            logger.exception("Trailing refresh of election %s failed", election_id)
            return
        self.schedule(election_id=election_id, delay=interval, attempt=attempt + 1)
