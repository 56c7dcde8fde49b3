"""Reads of published results: the cached snapshot, rebuilt from the database when the cache lost it."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from elections.models import Election
from results.services import rebuild_snapshot, snapshot_key
from results.tallies import Snapshot


def get_results_snapshot(*, election: Election) -> Snapshot:
    """The newest snapshot of ``election``: from the cache, or recounted from the database on a miss or flush."""
    snapshot: Snapshot | None = cache.get(snapshot_key(election.slug))
    if snapshot is not None:
        return snapshot
    return rebuild_snapshot(election=election)


def get_public_snapshot(*, slug: str) -> Snapshot | None:
    """The snapshot of the election ``slug`` if its results are public, else None. A cache hit costs no query."""
    snapshot: Snapshot | None = cache.get(snapshot_key(slug))
    if snapshot is None:
        election = Election.objects.filter(slug=slug).first()
        if election is None:
            return None
        snapshot = rebuild_snapshot(election=election)
    if snapshot["election"]["results_visibility"] == Election.Visibility.HIDDEN:
        return None
    return snapshot


def list_public_elections() -> QuerySet[Election]:
    """Elections whose results are provisional or official, newest first."""
    return Election.objects.exclude(results_visibility=Election.Visibility.HIDDEN).order_by("-date", "name")
