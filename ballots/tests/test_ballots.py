"""Ballot by ballot: who may enter, when, what a ballot may mark, voids, and closing a station's count."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser, User

from ballots.models import Ballot, BallotVoid, StationCount
from ballots.selectors import count_ballots
from ballots.services import mark_count_complete, record_ballot, reopen_count, void_ballot
from ballots.tests.support import set_counting
from elections.models import Candidate, Contest, Election, PollingStation
from elections.services import certify_election, close_election
from trust.audit import find_chain_breaks
from trust.errors import EntryRejected, NotAllowed
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def by_ballot(open_vote: Election) -> Election:
    return set_counting(open_vote, Election.CountingMethod.BALLOTS)


@pytest.fixture
def council(by_ballot: Election) -> Contest:
    """A contest where a ballot may mark two of three candidates."""
    contest = by_ballot.contests.create(name="Council", slug="council", max_choices=2, seats=2)
    for order, name in enumerate(["Lina", "Sami", "Yara"], start=1):
        contest.candidates.create(name_en=name, name_ar=name, ballot_order=order)
    return contest


def _blank(station: PollingStation, contest: Contest, actor: User | AnonymousUser | None, key: str) -> Ballot:
    return record_ballot(station=station, contest=contest, kind="blank", marks=[], actor=actor, idempotency_key=key).obj


def test_clerk_records_a_ballot_with_an_audit_event(
    by_ballot: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], clerk: User
) -> None:
    recorded = record_ballot(
        station=station,
        contest=contest,
        kind="marked",
        marks=[candidates[1].pk],
        actor=clerk,
        idempotency_key="ballot-0001",
        client_address="192.0.2.7",
    )
    assert recorded.created
    assert list(recorded.obj.candidates.all()) == [candidates[1]]
    event = AuditEvent.objects.get(action="ballot.record")
    assert (event.actor, event.client_address, event.idempotency_key) == (clerk, "192.0.2.7", "ballot-0001")
    assert event.after is not None
    assert event.after["marks"] == [candidates[1].pk]
    assert event.election_id == by_ballot.pk
    assert find_chain_breaks() is None


def test_accepted_entry_tells_the_results_side_after_commit(
    by_ballot: Election,
    station: PollingStation,
    contest: Contest,
    clerk: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[attr-defined]
        _blank(station, contest, clerk, "ballot-0002")
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("kind", "pick", "code"),
    [
        ("marked", lambda c, o: [c[0].pk, c[1].pk], "too_many_marks"),
        ("marked", lambda c, o: [], "marks_missing"),
        ("marked", lambda c, o: [o.pk], "candidate_not_in_contest"),
        ("blank", lambda c, o: [c[0].pk], "marks_not_allowed"),
        ("spoilt", lambda c, o: [], "ballot_kind_invalid"),
    ],
)
def test_a_wrong_ballot_is_refused_naming_the_field(
    by_ballot: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    council: Contest,
    clerk: User,
    kind: str,
    pick: Callable[[list[Candidate], Candidate], list[int]],
    code: str,
) -> None:
    with pytest.raises(EntryRejected) as refused:
        record_ballot(
            station=station,
            contest=contest,
            kind=kind,
            marks=pick(candidates, council.candidates.first()),  # type: ignore[arg-type]
            actor=clerk,
            idempotency_key="ballot-0003",
        )
    assert refused.value.code == code
    assert refused.value.details["field"] in {"marks", "kind"}
    assert not Ballot.objects.exists()


def test_a_ballot_marks_up_to_the_contests_choices_each_candidate_once(
    by_ballot: Election, station: PollingStation, council: Contest, clerk: User
) -> None:
    lina, sami, _yara = council.candidates.order_by("ballot_order")
    record_ballot(
        station=station,
        contest=council,
        kind="marked",
        marks=[lina.pk, sami.pk],
        actor=clerk,
        idempotency_key="two-marks-01",
    )
    with pytest.raises(EntryRejected) as refused:
        record_ballot(
            station=station,
            contest=council,
            kind="marked",
            marks=[lina.pk, lina.pk],
            actor=clerk,
            idempotency_key="two-marks-02",
        )
    assert refused.value.code == "marks_duplicate"
    assert count_ballots(station=station, contest=council).votes == {lina.pk: 1, sami.pk: 1, _yara.pk: 0}


def test_clerk_of_another_station_is_refused(
    by_ballot: Election, other_station: PollingStation, contest: Contest, clerk: User
) -> None:
    with pytest.raises(NotAllowed) as refused:
        _blank(other_station, contest, clerk, "ballot-0004")
    assert refused.value.details == {"field": "station"}


def test_supervisor_of_another_district_is_refused(
    by_ballot: Election,
    station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    south_supervisor: User,
) -> None:
    with pytest.raises(NotAllowed):
        _blank(station, contest, south_supervisor, "ballot-0005")
    _blank(south_station, contest, south_supervisor, "ballot-0006")
    assert Ballot.objects.count() == 1


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_anonymous_is_refused(
    by_ballot: Election, station: PollingStation, contest: Contest, actor: AnonymousUser | None
) -> None:
    with pytest.raises(NotAllowed) as refused:
        _blank(station, contest, actor, "ballot-0007")
    assert refused.value.code == "not_authenticated"


def test_entry_is_refused_unless_the_election_is_open(
    election: Election, official: User, station: PollingStation, contest: Contest, clerk: User, north_supervisor: User
) -> None:
    set_counting(election, Election.CountingMethod.BALLOTS)
    close_election(election=election, actor=official)
    with pytest.raises(EntryRejected) as refused:
        _blank(station, contest, clerk, "ballot-0008")
    assert refused.value.code == "election_not_open"
    # After closing, a supervisor's entry is an audited correction.
    _blank(station, contest, north_supervisor, "ballot-0009")
    certify_election(election=election, actor=official)
    with pytest.raises(EntryRejected):
        _blank(station, contest, official, "ballot-0010")
    assert Ballot.objects.count() == 1


def test_draft_election_takes_no_entries(election: Election, clerk: User) -> None:
    set_counting(election, Election.CountingMethod.BALLOTS)
    station = election.stations.get(code="N-001")
    with pytest.raises(EntryRejected) as refused:
        _blank(station, election.contests.get(), clerk, "ballot-0011")
    assert refused.value.code == "election_not_open"


def test_an_election_counting_tally_sheets_only_takes_no_ballots(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    with pytest.raises(EntryRejected) as refused:
        _blank(station, contest, clerk, "ballot-0012")
    assert refused.value.code == "counting_method"


def test_a_void_is_an_entry_and_the_ballot_stays(
    by_ballot: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    ballot = _blank(station, contest, clerk, "ballot-0013")
    void = void_ballot(ballot=ballot, reason="Entered twice", actor=clerk, idempotency_key="void-0001").obj
    assert Ballot.objects.filter(pk=ballot.pk).exists()
    assert void.ballot == ballot
    assert count_ballots(station=station, contest=contest).ballots_cast == 0
    assert AuditEvent.objects.filter(action="ballot.void", object_id=str(ballot.pk)).count() == 1


def test_voiding_a_void_ballot_is_refused(
    by_ballot: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    ballot = _blank(station, contest, clerk, "ballot-0014")
    void_ballot(ballot=ballot, reason="Entered twice", actor=clerk, idempotency_key="void-0002")
    with pytest.raises(EntryRejected) as refused:
        void_ballot(ballot=ballot, reason="Again", actor=clerk, idempotency_key="void-0003")
    assert refused.value.code == "already_voided"
    assert BallotVoid.objects.count() == 1


def test_voiding_another_stations_ballot_is_refused(
    by_ballot: Election, station: PollingStation, contest: Contest, clerk: User, south_supervisor: User
) -> None:
    ballot = _blank(station, contest, clerk, "ballot-0015")
    with pytest.raises(NotAllowed):
        void_ballot(ballot=ballot, reason="Not mine", actor=south_supervisor, idempotency_key="void-0004")
    assert not BallotVoid.objects.exists()


def test_a_void_needs_a_reason(by_ballot: Election, station: PollingStation, contest: Contest, clerk: User) -> None:
    ballot = _blank(station, contest, clerk, "ballot-0016")
    with pytest.raises(EntryRejected) as refused:
        void_ballot(ballot=ballot, reason="  ", actor=clerk, idempotency_key="void-0005")
    assert refused.value.details == {"field": "reason"}


def test_a_complete_count_takes_no_ballot_until_a_supervisor_reopens_it(
    by_ballot: Election, station: PollingStation, contest: Contest, clerk: User, north_supervisor: User
) -> None:
    ballot = _blank(station, contest, clerk, "ballot-0017")
    mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="complete-1")
    for attempt in (
        lambda: _blank(station, contest, clerk, "ballot-0018"),
        lambda: void_ballot(ballot=ballot, reason="Late", actor=clerk, idempotency_key="void-0006"),
        lambda: mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="complete-2"),
    ):
        with pytest.raises(EntryRejected):
            attempt()
    with pytest.raises(NotAllowed):
        reopen_count(station=station, contest=contest, reason="Missed", actor=clerk, idempotency_key="reopen-01")
    reopen_count(station=station, contest=contest, reason="Missed", actor=north_supervisor, idempotency_key="reopen-02")
    _blank(station, contest, clerk, "ballot-0019")
    count = StationCount.objects.get()
    assert (count.complete, count.reopened_by, count.reopen_reason) == (False, north_supervisor, "Missed")
    assert Ballot.objects.count() == 2
    assert find_chain_breaks() is None
