"""Small builders shared by the entry tests."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from ballots.models import TallySheet
from ballots.services import submit_tally_sheet
from elections.models import Contest, Election, PollingStation
from trust.idempotency import Recorded


def set_counting(election: Election, method: str, *, double_entry: bool = False) -> Election:
    """``election`` counting by ``method``. The database lets the counting method change only while the election is
    a draft, so an election that has left draft goes back to draft for the change and then returns to its status."""
    rows = Election.objects.filter(pk=election.pk)
    status = rows.values_list("status", flat=True).get()
    rows.update(status=Election.Status.DRAFT)
    rows.update(counting_method=method, double_entry=double_entry)
    rows.update(status=status)
    election.refresh_from_db()
    return election


def submit_sheet(
    *,
    station: PollingStation,
    contest: Contest,
    actor: User,
    key: str,
    votes: list[int],
    blank: int = 0,
    invalid: int = 0,
    cast: int | None = None,
    **extra: Any,
) -> Recorded[TallySheet]:
    """Submit a sheet whose votes are given in ballot order; ballots cast add up unless given."""
    by_id = dict(zip(contest.candidates.order_by("ballot_order").values_list("pk", flat=True), votes, strict=True))
    return submit_tally_sheet(
        station=station,
        contest=contest,
        ballots_cast=cast if cast is not None else sum(votes) + blank + invalid,
        blank=blank,
        invalid=invalid,
        votes=by_id,
        actor=actor,
        idempotency_key=key,
        **extra,
    )
