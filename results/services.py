"""The one funnel from an accepted change to every viewer: recount, store a versioned snapshot, broadcast.

``refresh_tallies`` runs after each commit that may change what the public sees: the apps below say so through the
change hook (``trust.changes.note_results_changed``), whose handler this app registers. It is the only code that
talks to the channel layer.

Coalescing: many commits in a burst must become neither many recounts nor many broadcasts. The first refresh of an
election in a window takes a gate in the shared cache (``SET NX PX``, so it holds across app nodes), recounts and
broadcasts at once; later ones within the window leave one trailing refresh to their own process, which recounts and
broadcasts when the window ends (waiting another window while some other refresh holds the gate: that one started
after these commits and counts them). A burst therefore costs one recount and broadcast at its start and one at its
end per process, and the last broadcast always carries the final version.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F

from elections.models import Election
from results import frames
from results.loops import call_async, call_when_main_thread_ends, server_loop
from results.models import ResultsVersion
from results.snapshot import Snapshot
from results.tallies import build_snapshot
from trust.changes import ResultsChange, ResultsChangeHandler

logger = logging.getLogger(__name__)

# The snapshot expires now and then so that one lost write to the cache cannot be served for ever.
SNAPSHOT_TIMEOUT = 600
# A trailing broadcast that cannot take the gate this many times in a row gives up (the cache is down).
MAX_GATE_ATTEMPTS = 40
# Refreshes of one election start at least this many times their own last duration apart, so that under an entry
# peak recounting takes at most about a third of the process and the entries keep the rest.
RECOUNT_SPACING = 3.0
# ...but never further apart than this, so that an accepted entry still reaches the pages within a second.
MAX_REFRESH_WINDOW = 0.5
# How long a broadcast may hold the election's broadcast lock, and how long another waits for it.
BROADCAST_LOCK_SECONDS = 10
# How long the last recount and broadcast of each election took in this process (wall clock, so a busy process
# spaces its refreshes further apart).
_last_refresh_seconds: dict[int, float] = {}


def snapshot_key(slug: str) -> str:
    return f"results:snapshot:{slug}"


def version_key(slug: str) -> str:
    """The version of the cached snapshot, alone: a reader holding that version already need not fetch it again."""
    return f"results:version:{slug}"


def changed_key(slug: str) -> str:
    return f"results:changed:{slug}"


def _gate_key(election_id: int) -> str:
    return f"results:gate:{election_id}"


def _sent_key(election_id: int) -> str:
    return f"results:sent:{election_id}"


def group_name(election_id: int, language: str) -> str:
    """The channel-layer group of an election's viewers reading it in ``language``."""
    return f"results.{election_id}.{language}"


def viewer_language(requested: str) -> str:
    """The site language a viewer asked for, or the default one."""
    codes = [code for code, _name in settings.LANGUAGES]
    return requested if requested in codes else settings.LANGUAGE_CODE


def broadcast_interval() -> float:
    return float(getattr(settings, "RESULTS_BROADCAST_INTERVAL", 0.25))


def refresh_window(election_id: int) -> float:
    """The gate's length for ``election_id``: the broadcast interval, longer (up to ``MAX_REFRESH_WINDOW``) while a
    refresh costs more than a third of it."""
    spaced = RECOUNT_SPACING * _last_refresh_seconds.get(election_id, 0.0)
    return max(broadcast_interval(), min(spaced, MAX_REFRESH_WINDOW))


def stale_after() -> float:
    """How long after a change a snapshot that does not count it is taken for stale: the normal path refreshes
    within a window (plus the recount), so only a refresh lost with its process is ever this late."""
    return 2 * broadcast_interval() + 2.0


def note_change(*, slug: str) -> None:
    """Say, inside the writing transaction, that ``slug``'s results are about to change.

    The refresh runs after commit; if the process dies in between, readers see a change newer than the snapshot
    and ask for a recount themselves (see ``is_stale``), so the served results converge without any later entry.
    A rolled-back write leaves a note that costs one needless recount, nothing more.
    """
    cache.set(changed_key(slug), time.time(), SNAPSHOT_TIMEOUT)


def _note_results_change(change: ResultsChange) -> None:
    note_change(slug=change.election_slug)


def _refresh_after_commit(change: ResultsChange) -> None:
    refresh_tallies(election_id=change.election_id)


def is_stale(snapshot: Snapshot, changed_at: float | None) -> bool:
    """True when a change was noted well after ``snapshot`` was counted (its refresh was lost)."""
    return changed_at is not None and float(changed_at) > float(snapshot.get("counted_at", 0)) + stale_after()


def current_version(*, election_id: int) -> int:
    """The newest version number in the database (0 before the first refresh)."""
    return ResultsVersion.objects.filter(election_id=election_id).values_list("version", flat=True).first() or 0


def last_broadcast_version(*, election_id: int) -> int:
    """The version the last broadcast of ``election_id`` carried (0 when none is known): what frames now follow."""
    return int(cache.get(_sent_key(election_id)) or 0)


def store_snapshot(*, election_id: int) -> Snapshot | None:
    """Recount the election under its version row's lock, number the result and put it in the cache.

    The lock orders concurrent refreshes of one election (across app nodes, on PostgreSQL): a higher version was
    always counted later, from at least as much data, and its cache write is the later one.
    """
    with transaction.atomic():
        ResultsVersion.objects.get_or_create(election_id=election_id)
        ResultsVersion.objects.filter(election_id=election_id).update(version=F("version") + 1)
        version = current_version(election_id=election_id)
        election = Election.objects.filter(pk=election_id).first()
        if election is None:
            return None
        counted_at = time.time()
        snapshot = build_snapshot(election=election, version=version)
        snapshot["counted_at"] = counted_at
        cache.set_many({snapshot_key(election.slug): snapshot, version_key(election.slug): version}, SNAPSHOT_TIMEOUT)
    return snapshot


def rebuild_snapshot(*, election: Election) -> Snapshot:
    """Rebuild a missing snapshot at the current version without bumping it, and cache it unless a newer one was
    stored meanwhile (``add`` never overwrites)."""
    counted_at = time.time()
    snapshot = build_snapshot(election=election, version=current_version(election_id=election.pk))
    snapshot["counted_at"] = counted_at
    if cache.add(snapshot_key(election.slug), snapshot, SNAPSHOT_TIMEOUT):
        cache.add(version_key(election.slug), snapshot["version"], SNAPSHOT_TIMEOUT)
    return snapshot


def refresh_tallies(*, election_id: int) -> None:
    """Bring ``election_id``'s served results up to date after a commit: recount, store, broadcast (coalesced).

    The first refresh of a window recounts and broadcasts at once (under an ASGI server in a worker thread, not the
    request's); the others only make sure this process recounts once more when the window ends, so a burst of commits
    costs two recounts, not one per commit, and the entries are not slowed by recounts they do not need. Runs after
    commit; a failure here is logged and never undoes or fails the entry that triggered it (the next read rebuilds
    from the database).
    """
    interval = refresh_window(election_id)
    if broadcast_interval() > 0 and not cache.add(_gate_key(election_id), 1, interval):
        _trailing.schedule(election_id=election_id, delay=interval)
        return
    if not _trailing.start_soon(election_id=election_id):
        recount_and_send(election_id=election_id)


def recount_and_send(*, election_id: int) -> None:
    """Recount, store the new snapshot, and send it to the election's viewers when its results are public."""
    started = time.monotonic()
    try:
        snapshot = store_snapshot(election_id=election_id)
    except DatabaseError:
        logger.exception("Could not recount election %s; the cached results may be stale", election_id)
        return
    try:
        if snapshot is None or snapshot["election"]["results_visibility"] == Election.Visibility.HIDDEN:
            return
        broadcast_snapshot(snapshot)
    finally:
        _last_refresh_seconds[election_id] = time.monotonic() - started


def broadcast_snapshot(snapshot: Snapshot) -> bool:
    """Send a just-counted snapshot to its election's viewers, unless a version at least as new already went out;
    False when nothing was sent."""
    election_id = int(snapshot["election"]["id"])
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        with one_broadcast_at_a_time(election_id):
            previous = int(cache.get(_sent_key(election_id)) or 0)
            if previous >= snapshot["version"]:
                return False
            messages = frames.build_messages(snapshot)
            # Recorded before sending: a viewer connecting meanwhile is greeted with this version, so if it joined too
            # late for the frame it still sees it is behind and reloads, instead of waiting for the next update.
            cache.set(_sent_key(election_id), snapshot["version"], SNAPSHOT_TIMEOUT)
            for language, message in messages.items():
                call_async(layer.group_send, group_name(election_id, language), message)
    except Exception:  # A broadcast is best effort: viewers resync from the snapshot, the entry stands.
        logger.exception("Could not broadcast results of election %s", election_id)
        return False
    return True


_local_broadcast_locks: dict[int, threading.Lock] = {}
_local_broadcast_locks_guard = threading.Lock()


@contextmanager
def one_broadcast_at_a_time(election_id: int) -> Iterator[None]:
    """Broadcasts of one election go out one after another, in this process and (through Redis) across app nodes.

    Each frame names the version it follows, read from what the last broadcast recorded; two broadcasts building
    their frames at once would both name the same one, and every viewer would have to reload its page.
    """
    with _local_broadcast_locks_guard:
        local = _local_broadcast_locks.setdefault(election_id, threading.Lock())
    with local:
        shared = getattr(cache, "lock", None)  # django-redis; the embedded mode is one process
        if shared is None:
            yield
            return
        with shared(f"results:broadcasting:{election_id}", timeout=BROADCAST_LOCK_SECONDS,
                    blocking_timeout=BROADCAST_LOCK_SECONDS):  # fmt: skip
            yield


class TrailingRefreshes:
    """At most one pending end-of-window refresh per election in this process."""

    def __init__(self) -> None:
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
            recount_and_send(election_id=election_id)
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
            if attempt >= MAX_GATE_ATTEMPTS or cache.add(_gate_key(election_id), 1, interval):
                recount_and_send(election_id=election_id)
                return
        except Exception:  # A failing cache or database must not kill the timer thread or the event loop.
            logger.exception("Trailing refresh of election %s failed", election_id)
            return
        self.schedule(election_id=election_id, delay=interval, attempt=attempt + 1)


_trailing = TrailingRefreshes()

# What the results app does when another app says an election's results changed (registered in ``ResultsConfig``).
RESULTS_CHANGE_HANDLER = ResultsChangeHandler(noted=_note_results_change, committed=_refresh_after_commit)
