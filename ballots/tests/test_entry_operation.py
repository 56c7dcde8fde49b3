"""What every entry shares through one operation: one note to the results side per entry however many changes it
audits, and an answer that says whether the entry is new, the same on a replay."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from ballots.services import mark_count_complete, quarantine_sheet, record_ballot
from ballots.tests.support import set_counting, submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from trust.audit import find_chain_breaks
from trust.models import AuditEvent, IdempotencyRecord

pytestmark = pytest.mark.django_db


def test_an_entry_that_audits_two_changes_tells_the_results_side_once(
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    clerk: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    set_counting(open_vote, Election.CountingMethod.BOTH)
    record_ballot(
        station=station,
        contest=contest,
        kind="marked",
        marks=[candidates[0].pk],
        actor=clerk,
        idempotency_key="ballot-0001",
    )
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0001", votes=[0, 1])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="complete-01")

    actions = list(AuditEvent.objects.filter(idempotency_key="complete-01").values_list("action", flat=True))
    assert actions == ["count.complete", "tally_sheet.quarantine_by_cross_check"]
    assert len(callbacks) == 1
    assert find_chain_breaks() is None


def test_a_new_entry_is_created_and_a_decision_is_not_and_replays_say_the_same(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, north_supervisor: User
) -> None:
    entered = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0002", votes=[3, 2])

    def quarantine() -> Any:
        return quarantine_sheet(
            sheet=entered.obj, reason="Torn", actor=north_supervisor, idempotency_key="quarantine-02"
        )

    decided, replayed = quarantine(), quarantine()

    assert (entered.created, decided.created) == (True, False)
    assert (replayed.replayed, replayed.created, replayed.body) == (True, False, decided.body)
    stored = dict(IdempotencyRecord.objects.values_list("key", "created"))
    assert (stored["sheet-0002"], stored["quarantine-02"]) == (True, False)
