"""The one funnel from an accepted change to every viewer: recount, store a versioned snapshot, broadcast.

``refresh_tallies`` runs after each commit that may change what the public sees: the apps below say so through the
change hook (``trust.changes.note_results_changed``), whose handler this app registers; it runs in the results worker
(``results.worker``), which the committing process only wakes, unless ``RESULTS_WORKER=inline``. It is the only code
that talks to the channel layer.

Coalescing: many commits in a burst must become neither many recounts nor many broadcasts. The first refresh of an
election in a window takes a gate in the shared cache (``SET NX PX``, so it holds across app nodes), recounts and
broadcasts at once; later ones within the window leave one trailing refresh to their own process
(``results.refreshes``), which recounts and broadcasts when the window ends (waiting another window while some other
refresh holds the gate: that one started after these commits and counts them). A burst therefore costs one recount
and broadcast at its start and one at its end per process, and the last broadcast always carries the final version.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import F
from django.db.models.functions import Now

from elections.models import Election
from results import frames
from results.loops import call_async
from results.models import ResultsVersion
from results.refreshes import TrailingRefreshes, broadcast_interval, gate_key, last_refresh_seconds, refresh_window
from results.snapshot import Snapshot, SnapshotAuditHead
from results.tallies import build_snapshot
from results.versions import keep_version
from results.wakeups import local_wakeups, send_wakeup
from trust.changes import ResultsChange, ResultsChangeHandler
from trust.checkpoints import ChainHead, advance_chain_head

logger = logging.getLogger(__name__)

# The snapshot expires now and then so that one lost write to the cache cannot be served for ever.
SNAPSHOT_TIMEOUT = 600
# How long a broadcast may hold the election's broadcast lock, and how long another waits for it.
BROADCAST_LOCK_SECONDS = 10
# The audit head last published, shared by every election: the next one counts only the events after it.
AUDIT_HEAD_KEY = "results:audit-head"
AUDIT_HEAD_TIMEOUT = 24 * 3600


def snapshot_key(slug: str) -> str:
    return f"results:snapshot:{slug}"


def version_key(slug: str) -> str:
    """The version of the cached snapshot, alone: a reader holding that version already need not fetch it again."""
    return f"results:version:{slug}"


def changed_key(slug: str) -> str:
    return f"results:changed:{slug}"


def _sent_key(election_id: int) -> str:
    return f"results:sent:{election_id}"


def group_name(election_id: int, language: str) -> str:
    """The channel-layer group of an election's viewers reading it in ``language``."""
    return f"results.{election_id}.{language}"


def viewer_language(requested: str) -> str:
    """The site language a viewer asked for, or the default one."""
    codes = [code for code, _name in settings.LANGUAGES]
    return requested if requested in codes else settings.LANGUAGE_CODE


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
    """After the commit: wake the results worker (``results.worker``), or recount here when none serves this process
    (``RESULTS_WORKER=inline``, or a command run beside the embedded server)."""
    mode = getattr(settings, "RESULTS_WORKER", "inline")
    if mode == "process":
        send_wakeup(election_id=change.election_id)
    elif not (mode == "background" and local_wakeups.send(election_id=change.election_id)):
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
        # updated_at: when this recount started, which the results worker compares with later changes.
        ResultsVersion.objects.filter(election_id=election_id).update(version=F("version") + 1, updated_at=Now())
        version = current_version(election_id=election_id)
        election = Election.objects.filter(pk=election_id).first()
        if election is None:
            return None
        counted_at = time.time()
        snapshot = build_snapshot(election=election, version=version)
        snapshot["counted_at"] = counted_at
        snapshot["audit_head"] = read_audit_head()
        cache.set_many({snapshot_key(election.slug): snapshot, version_key(election.slug): version}, SNAPSHOT_TIMEOUT)
        if election.results_visibility != Election.Visibility.HIDDEN:
            keep_version(snapshot)  # its immutable address (results/versions.py)
    return snapshot


def rebuild_snapshot(*, election: Election) -> Snapshot:
    """Rebuild a missing snapshot at the current version without bumping it, and cache it unless a newer one was
    stored meanwhile (``add`` never overwrites)."""
    counted_at = time.time()
    snapshot = build_snapshot(election=election, version=current_version(election_id=election.pk))
    snapshot["counted_at"] = counted_at
    snapshot["audit_head"] = read_audit_head()
    if cache.add(snapshot_key(election.slug), snapshot, SNAPSHOT_TIMEOUT):
        cache.add(version_key(election.slug), snapshot["version"], SNAPSHOT_TIMEOUT)
    return snapshot


def read_audit_head() -> SnapshotAuditHead:
    """The audit log's head to publish with a snapshot being counted now.

    Counted on from the head last published (kept in the cache) instead of over the whole log, which grows by an
    event per entry: a recount must not slow down as the night goes on.
    """
    kept = cache.get(AUDIT_HEAD_KEY)
    last = ChainHead(*kept) if isinstance(kept, (tuple, list)) and len(kept) == 3 else None
    head = advance_chain_head(since=last)
    if head != last:
        cache.set(AUDIT_HEAD_KEY, (head.event_id, head.hash, head.count), AUDIT_HEAD_TIMEOUT)
    return {"event_id": head.event_id, "hash": head.hash, "count": head.count}


def refresh_tallies(*, election_id: int) -> None:
    """Bring ``election_id``'s served results up to date after a commit: recount, store, broadcast (coalesced).

    The first refresh of a window recounts and broadcasts at once (under an ASGI server in a worker thread, not the
    request's); the others only make sure this process recounts once more when the window ends, so a burst of commits
    costs two recounts, not one per commit, and the entries are not slowed by recounts they do not need. Runs after
    commit; a failure here is logged and never undoes or fails the entry that triggered it (the next read rebuilds
    from the database).
    """
    interval = refresh_window(election_id)
    if broadcast_interval() > 0 and not cache.add(gate_key(election_id), 1, interval):
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
        last_refresh_seconds[election_id] = time.monotonic() - started


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


_trailing = TrailingRefreshes(recount=recount_and_send)

# What the results app does when another app says an election's results changed (registered in ``ResultsConfig``).
RESULTS_CHANGE_HANDLER = ResultsChangeHandler(noted=_note_results_change, committed=_refresh_after_commit)
