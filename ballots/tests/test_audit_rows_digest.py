"""Every entry's audit event carries a digest of the rows it wrote: a row changed in the database with no event is
named by ``verify_audit``, while every change the services make verifies clean."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, models, transaction
from django.utils import timezone

from ballots.models import TallySheet, TurnoutReport
from ballots.services import (
    mark_count_complete,
    quarantine_sheet,
    record_ballot,
    release_sheet,
    reopen_count,
    report_turnout,
    resolve_sheet_review,
    void_ballot,
)
from ballots.tests.support import set_counting, submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from trust.audit import record_audit_event
from trust.models import AuditEvent
from trust.rows import check_entry_rows

pytestmark = pytest.mark.django_db


def _update(sql: str, params: list[Any]) -> None:
    """Change a row as someone with the database's credentials would: straight SQL, no service, no event."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.rowcount == 1


def _event_about(obj: models.Model, action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action, object_id=str(obj.pk)).latest("id")


def _verify() -> str:
    """``verify_audit``'s complaint, or "" when the log and the rows verify."""
    try:
        call_command("verify_audit", stdout=io.StringIO())
    except CommandError as error:
        return str(error)
    return ""


def test_a_vote_changed_in_the_database_is_named_by_verify_audit(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    sheet = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-digest-1", votes=[10, 5]).obj
    submitted = _event_about(sheet, "tally_sheet.submit")
    assert submitted.rows_digest is not None
    assert _verify() == ""

    _update("UPDATE ballots_tallysheetvote SET votes = votes + 1 WHERE sheet_id = %s AND votes = 10", [sheet.pk])

    complaint = _verify()
    assert f"Audit event #{submitted.pk} does not verify: rows changed without an event" in complaint
    assert f"ballots.tallysheet:{sheet.pk}" in complaint


def test_a_status_changed_in_the_database_is_caught_though_services_change_it_freely(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, north_supervisor: User
) -> None:
    first = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-digest-2", votes=[10, 5]).obj
    submit_sheet(
        station=station, contest=contest, actor=north_supervisor, key="sheet-digest-3", votes=[11, 5], reason="Misread"
    )
    assert _verify() == ""  # the correction superseded version 1 by its status, in an entry with its own event

    _update("UPDATE ballots_tallysheet SET status = 'needs_review' WHERE id = %s", [first.pk])

    assert "rows changed without an event" in _verify()


def test_a_ballot_mark_changed_in_the_database_is_caught(
    open_vote: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], clerk: User
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    ballot = record_ballot(
        station=station,
        contest=contest,
        kind="marked",
        marks=[candidates[0].pk],
        actor=clerk,
        idempotency_key="ballot-digest-1",
    ).obj
    recorded = _event_about(ballot, "ballot.record")

    _update("UPDATE ballots_ballotmark SET candidate_id = %s WHERE ballot_id = %s", [candidates[1].pk, ballot.pk])

    assert f"Audit event #{recorded.pk} does not verify: rows changed without an event" in _verify()


def test_a_turnout_report_changed_in_the_database_is_caught(
    open_vote: Election, station: PollingStation, clerk: User
) -> None:
    report = report_turnout(station=station, voters=120, actor=clerk, idempotency_key="turnout-digest-1").obj
    reported = _event_about(report, "turnout.report")

    _update("UPDATE ballots_turnoutreport SET voters = 95 WHERE id = %s", [report.pk])

    assert f"Audit event #{reported.pk} does not verify: rows changed without an event" in _verify()


def test_a_sheet_inserted_without_an_event_is_caught(
    open_vote: Election, station: PollingStation, other_station: PollingStation, contest: Contest, clerk: User
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-digest-4", votes=[10, 5])
    planted = TallySheet.objects.create(
        station=other_station,
        contest=contest,
        version=1,
        ballots_cast=0,
        blank=0,
        invalid=0,
        status="accepted",
        entered_by=clerk,
        entered_at=timezone.now(),
    )

    assert f"Rows written without an event: no audit event wrote ballots.tallysheet:{planted.pk}" in _verify()


def test_a_vote_row_added_to_a_sheet_without_an_event_is_caught(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    sheet = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-digest-5", votes=[10, 0]).obj
    zero = sheet.votes.get(votes=0)
    _update("DELETE FROM ballots_tallysheetvote WHERE id = %s", [zero.pk])

    assert "rows changed without an event" in _verify()


def test_double_entry_review_quarantine_and_release_verify_clean(
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    clerk: User,
    second_clerk: User,
    north_supervisor: User,
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-digest-6", votes=[10, 5])
    submit_sheet(station=station, contest=contest, actor=second_clerk, key="sheet-digest-7", votes=[10, 6])
    decided = resolve_sheet_review(
        station=station,
        contest=contest,
        ballots_cast=16,
        blank=1,
        invalid=0,
        votes={candidates[0].pk: 10, candidates[1].pk: 5},
        reason="Checked the paper form",
        actor=north_supervisor,
        idempotency_key="review-digest-1",
    ).obj
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-digest-8", votes=[11, 5], reason="Again")
    resolve_sheet_review(
        station=station,
        contest=contest,
        accept_version=decided.version,
        actor=north_supervisor,
        idempotency_key="review-digest-2",
    )
    quarantine_sheet(sheet=decided, reason="Signatures missing", actor=north_supervisor, idempotency_key="q-digest-1")
    release_sheet(sheet=decided, actor=north_supervisor, idempotency_key="release-digest-1")

    assert list(TallySheet.objects.order_by("version").values_list("status", flat=True)) == [
        "superseded",
        "superseded",
        "accepted",
        "superseded",
    ]
    assert _verify() == ""
    assert check_entry_rows().changed == []


def test_matching_double_entry_verifies_clean(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, second_clerk: User
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-digest-9", votes=[10, 5])
    second = submit_sheet(station=station, contest=contest, actor=second_clerk, key="sheet-digest-10", votes=[10, 5])
    # The second entry's event also carries version 1, which it superseded without an event of its own.
    digest = _event_about(second.obj, "tally_sheet.submit").rows_digest
    assert digest is not None
    assert sorted(digest["rows"]) == sorted(
        f"ballots.tallysheet:{pk}" for pk in TallySheet.objects.values_list("pk", flat=True)
    )
    assert _verify() == ""


def test_ballots_voids_and_counts_verify_clean(
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    clerk: User,
    north_supervisor: User,
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    ballots = [
        record_ballot(
            station=station,
            contest=contest,
            kind="marked",
            marks=[candidate.pk],
            actor=clerk,
            idempotency_key=f"ballot-digest-{n}",
        ).obj
        for n, candidate in enumerate(candidates, start=2)
    ]
    void_ballot(ballot=ballots[0], reason="Torn", actor=clerk, idempotency_key="void-digest-1")
    mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="count-digest-1")
    reopen_count(
        station=station, contest=contest, reason="One more", actor=north_supervisor, idempotency_key="reopen-digest-1"
    )
    mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="count-digest-2")
    assert _verify() == ""

    # The void went with the ballot's digest: changing its reason afterwards is a change without an event.
    _update("UPDATE ballots_ballotvoid SET reason = 'Fine after all' WHERE ballot_id = %s", [ballots[0].pk])
    assert f"Audit event #{_event_about(ballots[0], 'ballot.void').pk} does not verify" in _verify()


def test_rows_older_than_digests_and_events_without_one_still_verify(
    open_vote: Election, station: PollingStation, other_station: PollingStation, contest: Contest, clerk: User
) -> None:
    # A report from before digests, and an event with none: both were written before entries carried digests.
    TurnoutReport.objects.create(
        station=other_station, voters=5, at=timezone.now(), reported_by=clerk, reported_at=timezone.now()
    )
    with transaction.atomic():
        event = record_audit_event(action="election.touch", obj=open_vote, actor=clerk, after={"voters": 5})
    assert event.rows_digest is None
    newer = report_turnout(station=station, voters=120, actor=clerk, idempotency_key="turnout-digest-2").obj

    assert _verify() == ""
    # Only rows inserted since entries carry digests must have an event; one planted after them must.
    planted = TurnoutReport.objects.create(
        station=other_station, voters=6, at=timezone.now(), reported_by=clerk, reported_at=timezone.now()
    )
    assert planted.pk > newer.pk
    assert f"no audit event wrote ballots.turnoutreport:{planted.pk}" in _verify()
