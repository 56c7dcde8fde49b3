"""The station-result rule: the accepted sheet, the completed ballots, and both must agree."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from ballots.models import TallySheet
from ballots.selectors import get_station_result, list_station_results
from ballots.services import (
    mark_count_complete,
    record_ballot,
    release_sheet,
    reopen_count,
    void_ballot,
)
from ballots.tests.support import set_counting, submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from trust.audit import find_chain_breaks
from trust.errors import EntryRejected

pytestmark = pytest.mark.django_db


def _ballots(station: PollingStation, contest: Contest, clerk: User, marks: list[int | None], prefix: str) -> list:
    return [
        record_ballot(
            station=station,
            contest=contest,
            kind="marked" if mark is not None else "blank",
            marks=[mark] if mark is not None else [],
            actor=clerk,
            idempotency_key=f"{prefix}-{i:04d}",
        ).obj
        for i, mark in enumerate(marks)
    ]


def test_a_station_that_has_not_reported_has_no_result(
    open_vote: Election, station: PollingStation, contest: Contest
) -> None:
    assert get_station_result(station=station, contest=contest) is None
    assert list_station_results(election=open_vote) == []


def test_ballots_count_only_once_the_station_is_complete(
    open_vote: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], clerk: User
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    a, b = (c.pk for c in candidates)
    _ballots(station, contest, clerk, [a, a, b, None], "only-ballots")
    assert get_station_result(station=station, contest=contest) is None
    mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="complete-01")
    result = get_station_result(station=station, contest=contest)
    assert result is not None
    assert (result.ballots_cast, result.blank, result.invalid, result.source) == (4, 1, 0, "ballots")
    assert result.votes == {a: 2, b: 1}


def test_ballots_and_sheet_that_agree_give_one_result(
    open_vote: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], clerk: User
) -> None:
    set_counting(open_vote, Election.CountingMethod.BOTH)
    a, b = (c.pk for c in candidates)
    _ballots(station, contest, clerk, [a, b, b], "agree")
    mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="complete-02")
    submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-agree", votes=[1, 2])
    result = get_station_result(station=station, contest=contest)
    assert result is not None
    assert (result.quarantined, result.source, result.sheet_version) == (False, "ballots_and_tally_sheet", 1)


def test_a_sheet_that_differs_from_the_ballots_is_quarantined_with_the_difference(
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    clerk: User,
    north_supervisor: User,
) -> None:
    set_counting(open_vote, Election.CountingMethod.BOTH)
    a, b = (c.pk for c in candidates)
    extra = _ballots(station, contest, clerk, [a, b, b, b], "differ")[-1]
    sheet = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-differ", votes=[1, 2]).obj
    mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="complete-03")
    sheet.refresh_from_db()
    assert (sheet.status, sheet.quarantined_automatically) == ("quarantined", True)
    assert "ballots cast: 4 in the ballots, 3 on the sheet" in sheet.quarantine_reason
    assert "Omar Nasser: 3 in the ballots, 2 on the sheet" in sheet.quarantine_reason
    result = get_station_result(station=station, contest=contest)
    assert result is not None
    assert result.quarantined
    assert result.quarantine_reason == sheet.quarantine_reason
    with pytest.raises(EntryRejected) as refused:
        release_sheet(sheet=sheet, actor=north_supervisor, idempotency_key="release-03")
    assert refused.value.code == "counts_differ"
    # Fixing the ballots and completing again releases what the cross-check quarantined.
    reopen_count(station=station, contest=contest, reason="Extra", actor=north_supervisor, idempotency_key="reopen-03")
    void_ballot(ballot=extra, reason="Entered twice", actor=clerk, idempotency_key="void-extra")
    mark_count_complete(station=station, contest=contest, actor=clerk, idempotency_key="complete-04")
    assert TallySheet.objects.get(pk=sheet.pk).status == "accepted"
    assert get_station_result(station=station, contest=contest).quarantined is False  # type: ignore[union-attr]
    assert find_chain_breaks() is None


def test_station_results_take_a_fixed_number_of_queries(
    open_vote: Election,
    contest: Contest,
    candidates: list[Candidate],
    official: User,
    django_assert_max_num_queries: object,
) -> None:
    set_counting(open_vote, Election.CountingMethod.BOTH)
    a = candidates[0].pk
    stations = list(open_vote.stations.all())
    for n in range(20):
        stations.append(
            open_vote.stations.create(district=stations[0].district, code=f"X-{n:03d}", name="x", registered_voters=50)
        )
    for i, st in enumerate(stations):
        _ballots(st, contest, official, [a, None], f"many-{i}")
        mark_count_complete(station=st, contest=contest, actor=official, idempotency_key=f"complete-many-{i}")
        submit_sheet(station=st, contest=contest, actor=official, key=f"sheet-many-{i}", votes=[1, 0], blank=1)
    # Sheets, their votes, their votes by type, ballots, marks, complete counts and the candidates.
    with django_assert_max_num_queries(7):  # type: ignore[operator]
        results = list_station_results(election=open_vote)
    assert len(results) == len(stations)
    assert all(r.votes[a] == 1 and not r.quarantined for r in results)
