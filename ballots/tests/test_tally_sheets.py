"""Tally sheets: each check names its field, double entry, corrections as versions, review and quarantine."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from ballots.models import TallySheet
from ballots.selectors import get_station_result, list_sheet_history
from ballots.services import quarantine_sheet, release_sheet, resolve_sheet_review, submit_tally_sheet
from ballots.tests.support import set_counting, submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from trust.audit import find_chain_breaks
from trust.errors import EntryRejected, NotAllowed

pytestmark = pytest.mark.django_db


def _statuses(station: PollingStation, contest: Contest) -> list[tuple[int, str]]:
    return list(TallySheet.objects.filter(station=station, contest=contest).values_list("version", "status"))


def test_a_sheet_that_adds_up_is_accepted_and_counted(
    open_vote: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], clerk: User
) -> None:
    recorded = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0001", votes=[300, 200], blank=5)
    assert (recorded.created, recorded.obj.status, recorded.obj.version) == (True, "accepted", 1)
    result = get_station_result(station=station, contest=contest)
    assert result is not None
    assert (result.ballots_cast, result.blank, result.invalid) == (505, 5, 0)
    assert result.votes == {candidates[0].pk: 300, candidates[1].pk: 200}


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"ballots_cast": 506}, "ballots_cast", "sheet_does_not_add_up"),
        ({"ballots_cast": 801, "blank": 301}, "ballots_cast", "ballots_cast_above_registered"),
        ({"blank": -1}, "blank", "negative"),
        ({"invalid": -2}, "invalid", "negative"),
        ({"ballots_cast": "505"}, "ballots_cast", "not_a_number"),
        ({"votes": {"first": -1}}, "votes", "negative"),
        ({"votes": {"first": None}}, "votes", "not_a_number"),
        ({"votes": {"missing": True}}, "votes", "votes_missing"),
        ({"votes": {"stranger": 1}}, "votes", "candidate_not_in_contest"),
    ],
)
def test_each_sheet_check_names_its_field(
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    clerk: User,
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    first, second = candidates
    entry: dict[str, Any] = {"ballots_cast": 505, "blank": 5, "invalid": 0}
    votes: dict[Any, Any] = {first.pk: 300, second.pk: 200}
    vote_change = change.pop("votes", {})
    if "first" in vote_change:
        votes[first.pk] = vote_change["first"]
    if "missing" in vote_change:
        del votes[second.pk]
    if "stranger" in vote_change:
        votes[999_999] = 1
    entry.update(change)
    with pytest.raises(EntryRejected) as refused:
        submit_tally_sheet(
            station=station, contest=contest, votes=votes, actor=clerk, idempotency_key="sheet-0002", **entry
        )
    assert refused.value.details["field"] == field
    assert refused.value.code == code
    assert not TallySheet.objects.exists()


def test_a_multi_choice_sheet_may_have_more_votes_than_valid_ballots_but_not_more_than_choices_allow(
    open_vote: Election, station: PollingStation, clerk: User
) -> None:
    council = open_vote.contests.create(name="Council", slug="council", max_choices=2, seats=2)
    ids = [council.candidates.create(name_en=n, name_ar=n, ballot_order=i).pk for i, n in enumerate("ABC", start=1)]
    submit_tally_sheet(
        station=station, contest=council, ballots_cast=10, blank=0, invalid=0,
        votes=dict(zip(ids, [9, 8, 3], strict=True)), actor=clerk, idempotency_key="council-1",
    )  # fmt: skip
    with pytest.raises(EntryRejected) as refused:
        submit_tally_sheet(
            station=station, contest=council, ballots_cast=10, blank=0, invalid=0, reason="Recount",
            votes=dict(zip(ids, [10, 10, 1], strict=True)), actor=clerk, idempotency_key="council-2",
        )  # fmt: skip
    assert refused.value.details["field"] == "votes"


def test_a_correction_needs_a_reason_and_becomes_a_new_version(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, north_supervisor: User
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0003", votes=[10, 5])
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(station=station, contest=contest, actor=north_supervisor, key="sheet-0004", votes=[11, 5])
    assert refused.value.details == {"field": "reason"}
    submit_sheet(
        station=station, contest=contest, actor=north_supervisor, key="sheet-0005", votes=[11, 5], reason="Misread"
    )
    assert _statuses(station, contest) == [(1, "superseded"), (2, "accepted")]
    history = list_sheet_history(station=station, contest=contest)
    assert [(h.version, h.status, h.reason) for h in history] == [(1, "superseded", ""), (2, "accepted", "Misread")]
    assert not hasattr(history[0], "entered_by")


def test_a_clerks_correction_waits_for_a_supervisor_while_the_accepted_version_counts(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, north_supervisor: User
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0006", votes=[10, 5])
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0007", votes=[12, 5], reason="Misread")
    assert _statuses(station, contest) == [(1, "accepted"), (2, "needs_review")]
    assert get_station_result(station=station, contest=contest).ballots_cast == 15  # type: ignore[union-attr]
    with pytest.raises(NotAllowed):
        resolve_sheet_review(
            station=station, contest=contest, accept_version=2, actor=clerk, idempotency_key="rev-0001"
        )
    resolve_sheet_review(
        station=station, contest=contest, accept_version=1, actor=north_supervisor, idempotency_key="rev-0002"
    )
    assert _statuses(station, contest) == [(1, "accepted"), (2, "superseded")]


def test_double_entry_that_matches_is_accepted(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, second_clerk: User
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    first = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0008", votes=[10, 5])
    assert first.obj.status == "pending_second_entry"
    assert get_station_result(station=station, contest=contest) is None
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0009", votes=[10, 5])
    assert refused.value.code == "second_entry_same_person"
    submit_sheet(station=station, contest=contest, actor=second_clerk, key="sheet-0010", votes=[10, 5])
    assert _statuses(station, contest) == [(1, "superseded"), (2, "accepted")]


def test_double_entry_that_differs_goes_to_review_and_a_supervisor_accepts_one(
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    clerk: User,
    second_clerk: User,
    north_supervisor: User,
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0011", votes=[10, 5])
    submit_sheet(station=station, contest=contest, actor=second_clerk, key="sheet-0012", votes=[10, 6])
    assert _statuses(station, contest) == [(1, "needs_review"), (2, "needs_review")]
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(station=station, contest=contest, actor=north_supervisor, key="sheet-0013", votes=[1, 1])
    assert refused.value.code == "sheet_in_review"
    with pytest.raises(EntryRejected) as refused:
        resolve_sheet_review(
            station=station, contest=contest, accept_version=7, actor=north_supervisor, idempotency_key="rev-0003"
        )
    assert refused.value.details == {"field": "accept_version"}
    resolve_sheet_review(
        station=station, contest=contest, accept_version=2, actor=north_supervisor, idempotency_key="rev-0004"
    )
    assert _statuses(station, contest) == [(1, "superseded"), (2, "accepted")]
    assert get_station_result(station=station, contest=contest).ballots_cast == 16  # type: ignore[union-attr]


def test_a_supervisor_may_enter_the_deciding_version(
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    clerk: User,
    second_clerk: User,
    north_supervisor: User,
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0014", votes=[10, 5])
    submit_sheet(station=station, contest=contest, actor=second_clerk, key="sheet-0015", votes=[10, 6])
    decided = resolve_sheet_review(
        station=station,
        contest=contest,
        ballots_cast=17,
        blank=1,
        invalid=0,
        votes={candidates[0].pk: 11, candidates[1].pk: 5},
        reason="Checked the paper form",
        actor=north_supervisor,
        idempotency_key="rev-0005",
    )
    assert (decided.obj.version, decided.obj.status, decided.obj.entered_by) == (3, "accepted", north_supervisor)
    assert _statuses(station, contest) == [(1, "superseded"), (2, "superseded"), (3, "accepted")]
    assert find_chain_breaks() is None


def test_quarantine_takes_a_sheet_out_with_a_public_reason_and_release_puts_it_back(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, north_supervisor: User
) -> None:
    sheet = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0016", votes=[10, 5]).obj
    with pytest.raises(NotAllowed):
        quarantine_sheet(sheet=sheet, reason="Odd", actor=clerk, idempotency_key="quar-0001")
    with pytest.raises(EntryRejected) as refused:
        quarantine_sheet(sheet=sheet, reason="", actor=north_supervisor, idempotency_key="quar-0002")
    assert refused.value.details == {"field": "reason"}
    quarantine_sheet(sheet=sheet, reason="Signatures missing", actor=north_supervisor, idempotency_key="quar-0003")
    result = get_station_result(station=station, contest=contest)
    assert result is not None
    assert (result.quarantined, result.quarantine_reason) == (True, "Signatures missing")
    assert list_sheet_history(station=station, contest=contest)[0].quarantine_reason == "Signatures missing"
    release_sheet(sheet=sheet, actor=north_supervisor, idempotency_key="release-01")
    with pytest.raises(EntryRejected) as refused:
        release_sheet(sheet=sheet, actor=north_supervisor, idempotency_key="release-02")
    assert refused.value.code == "sheet_not_quarantined"
    assert get_station_result(station=station, contest=contest).quarantined is False  # type: ignore[union-attr]
    assert find_chain_breaks() is None


def test_a_sheet_of_another_district_is_not_a_supervisors_to_quarantine(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, south_supervisor: User
) -> None:
    sheet = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0017", votes=[10, 5]).obj
    with pytest.raises(NotAllowed):
        quarantine_sheet(sheet=sheet, reason="Odd", actor=south_supervisor, idempotency_key="quar-0004")


def test_an_election_counting_ballots_only_takes_no_sheets(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0018", votes=[10, 5])
    assert refused.value.code == "counting_method"


def test_the_database_refuses_sheets_that_break_its_rules(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    sheet = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0019", votes=[10, 5]).obj
    base = {"station": station, "contest": contest, "entered_by": clerk, "entered_at": timezone.now()}
    for broken in (
        {"version": 2, "ballots_cast": 3, "blank": 2, "invalid": 2, "status": "superseded"},
        {"version": 2, "ballots_cast": 3, "blank": 0, "invalid": 0, "status": "accepted"},
        {"version": 1, "ballots_cast": 3, "blank": 0, "invalid": 0, "status": "superseded"},
        {"version": 2, "ballots_cast": 3, "blank": 0, "invalid": 0, "status": "quarantined"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            TallySheet.objects.create(**base, **broken)
    assert list(TallySheet.objects.values_list("pk", flat=True)) == [sheet.pk]
