"""Which state of an election's district boundaries is current: a short stamp that changes with every boundary import,
for readers that keep what they derive from the outlines (the results maps) and must know when to derive it again.

The stamp is derived from the database (how many outlines, their ids, the newest change) and kept in the shared
cache, so a reader learns it without a query: the import sets it once it commits (``services.boundaries``), and a
reader that finds none (the cache was flushed or evicted it) reads it from the database and adds it, never
overwriting a stamp set meanwhile.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Max, Sum

from elections.models import DistrictBoundary

# A day: the stamp changes only with an import, which sets it; a lost one costs one small query.
STAMP_TIMEOUT = 86_400
NO_BOUNDARIES = "none"


def boundary_stamp_key(election_id: int) -> str:
    return f"elections:boundary-stamp:{election_id}"


def count_boundary_stamp(election_id: int) -> str:
    """The stamp of ``election_id``'s boundaries as the database holds them (one query)."""
    found = DistrictBoundary.objects.filter(district__election_id=election_id).aggregate(
        count=Count("id"), latest=Max("updated_at"), ids=Sum("id")
    )
    if not found["count"]:
        return NO_BOUNDARIES
    return f"{found['count']}-{found['ids']}-{found['latest'].isoformat()}"


def get_boundary_stamp(*, election_id: int) -> str:
    """The current stamp of ``election_id``'s boundaries: from the cache, or counted and cached."""
    stamp = cache.get(boundary_stamp_key(election_id))
    if stamp is None:
        stamp = count_boundary_stamp(election_id)
        cache.add(boundary_stamp_key(election_id), stamp, STAMP_TIMEOUT)
    return str(stamp)


def store_boundary_stamp(*, election_id: int) -> None:
    """Count and cache the stamp after boundaries changed (run once their transaction has committed)."""
    cache.set(boundary_stamp_key(election_id), count_boundary_stamp(election_id), STAMP_TIMEOUT)
