"""Reads of published results: the cached snapshot, rebuilt from the database when the cache lost it."""

from __future__ import annotations

import json

from django.core.cache import cache
from django.core.validators import slug_re
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast

from ballots.models import TallySheet
from ballots.selectors import SheetVersion, list_sheet_history
from elections.models import Contest, Election, PollingStation
from results.services import (
    changed_key,
    is_stale,
    rebuild_snapshot,
    recount_and_send,
    refresh_tallies,
    snapshot_key,
    version_key,
)
from results.snapshot import Snapshot
from trust.models import AuditEvent


def get_results_snapshot(*, election: Election) -> Snapshot:
    """The newest snapshot of ``election``: from the cache, or recounted from the database on a miss or flush."""
    snapshot: Snapshot | None = cache.get(snapshot_key(election.slug))
    if snapshot is not None:
        return snapshot
    return rebuild_snapshot(election=election)


SLUG_MAX_LENGTH = Election._meta.get_field("slug").max_length or 0

# The last snapshot of each election read in this process. A version number always names the same data, so a reader
# that finds the cached version unchanged takes this one instead of fetching and unpickling the whole snapshot again
# (most of a cached page's cost). Shared between requests: snapshots are never modified once built.
MAX_REMEMBERED_SNAPSHOTS = 64
_remembered: dict[str, Snapshot] = {}
_encoded: dict[tuple[str, int], str] = {}


def _remember(slug: str, snapshot: Snapshot) -> None:
    if len(_remembered) >= MAX_REMEMBERED_SNAPSHOTS:
        _remembered.clear()
    _remembered[slug] = snapshot


def forget_remembered_snapshots() -> None:
    """Drop what this process remembers (tests that swap databases under one cache)."""
    _remembered.clear()
    _encoded.clear()


def snapshot_json(snapshot: Snapshot) -> str:
    """The snapshot as JSON text, encoded once per version in each process."""
    key = (str(snapshot["election"]["slug"]), int(snapshot["version"]))
    text = _encoded.get(key)
    if text is None:
        if len(_encoded) >= MAX_REMEMBERED_SNAPSHOTS:
            _encoded.clear()
        text = _encoded[key] = json.dumps(snapshot, ensure_ascii=False)
    return text


def get_public_snapshot(*, slug: str) -> Snapshot | None:
    """The snapshot of the election ``slug`` if its results are public, else None. A cache hit costs no query.

    When a change was noted long after this snapshot was counted, its refresh was lost (the process died): ask for
    one (coalesced like any other, so a crowd of readers causes one recount) and serve the newest there is.
    """
    if len(slug) > SLUG_MAX_LENGTH or not slug_re.fullmatch(slug):
        # No election has such a slug; asking would make a cache key too long for some caches, or a query
        # PostgreSQL refuses (a NUL character).
        return None
    found = cache.get_many([version_key(slug), changed_key(slug)])
    snapshot: Snapshot | None = _remembered.get(slug)
    if snapshot is None or found.get(version_key(slug)) != snapshot["version"]:
        found = cache.get_many([snapshot_key(slug), changed_key(slug)])
        snapshot = found.get(snapshot_key(slug))
        if snapshot is not None:
            _remember(slug, snapshot)
    if snapshot is not None and is_stale(snapshot, found.get(changed_key(slug))):
        refresh_tallies(election_id=int(snapshot["election"]["id"]))
        snapshot = cache.get(snapshot_key(slug)) or snapshot
    if snapshot is None:
        election = Election.objects.filter(slug=slug).first()
        if election is None:
            return None
        snapshot = rebuild_snapshot(election=election)
    if snapshot["election"]["results_visibility"] == Election.Visibility.HIDDEN:
        return _published_since(slug)
    return snapshot


def _published_since(slug: str) -> Snapshot | None:
    """The results of an election whose cached snapshot still says hidden, when the database says they were just
    published: the recount after publication may not have run yet, and the elections list already shows them."""
    election = Election.objects.filter(slug=slug).exclude(results_visibility=Election.Visibility.HIDDEN).first()
    if election is None:
        return None
    recount_and_send(election_id=election.pk)
    snapshot: Snapshot | None = cache.get(snapshot_key(slug))
    if snapshot is None or snapshot["election"]["results_visibility"] == Election.Visibility.HIDDEN:
        return rebuild_snapshot(election=election)
    _remember(slug, snapshot)
    return snapshot


def list_public_elections() -> QuerySet[Election]:
    """Elections whose results are provisional or official, newest first."""
    return Election.objects.exclude(results_visibility=Election.Visibility.HIDDEN).order_by("-date", "name")


# What a version's own audit events may say it became: it then counted, at least for a while.
COUNTED_STATUSES = (TallySheet.Status.ACCEPTED, TallySheet.Status.QUARANTINED)


def list_public_sheet_history(*, station_id: int, contest_ids: list[int]) -> dict[int, list[SheetVersion]]:
    """Per contest, the versions of a station's tally sheet that the public may see, oldest first: those that counted
    at some time (accepted, perhaps quarantined or replaced by a correction since). A version waiting for a second
    entry or a review, or one that a supervisor turned down, never counted and is left out with its numbers; so are
    the clerks' own notes, which the page does not show.

    A replaced version's status no longer says whether it ever counted, so its audit events do: the log records the
    status each change left it in."""
    counted = set(
        TallySheet.objects.filter(station_id=station_id, contest_id__in=contest_ids)
        .annotate(
            counted=Exists(
                AuditEvent.objects.filter(
                    object_type=TallySheet._meta.label_lower,
                    object_id=Cast(OuterRef("pk"), CharField()),
                    after__status__in=COUNTED_STATUSES,
                )
            )
        )
        .filter(Q(status__in=COUNTED_STATUSES) | Q(counted=True))
        .values_list("contest_id", "version")
    )
    station = PollingStation(pk=station_id)
    return {
        contest_id: [
            v
            for v in list_sheet_history(station=station, contest=Contest(pk=contest_id))
            if (contest_id, v.version) in counted
        ]
        for contest_id in contest_ids
    }
