"""The rules behind a card's words (docs/results-rules.md): the margin in votes and points, the last seat's margin,
the seat holders and seats per party, and "Elected" or "Passed" only when no outstanding vote can change it."""

from __future__ import annotations

from typing import Any

import pytest

from results.snapshot import SnapshotContest, SnapshotStation
from results.standings import (
    ELECTED,
    LEADING,
    TIED,
    Outstanding,
    measure_decided,
    outstanding_votes,
    registered_counted,
    seat_calls,
    seat_margin,
)
from results.tallies import _measure_passes, rank_for_seats


def station(pk: int, registered: int | None) -> SnapshotStation:
    return {
        "id": pk,
        "code": f"S-{pk}",
        "name": f"Station {pk}",
        "name_ar": "",
        "district_id": 1,
        "registered_voters": registered,
        "latitude": None,
        "longitude": None,
        "turnout_voters": None,
        "turnout_at": None,
    }


def build(
    votes: list[int],
    *,
    seats: int = 1,
    max_choices: int = 1,
    registered: list[int | None],
    reported: int,
    quarantined: tuple[int, ...] = (),
    kind: str = "candidates",
    threshold: float | None = None,
) -> tuple[SnapshotContest, dict[int, SnapshotStation]]:
    """A contest whose totals are ``votes`` (candidate ids 1, 2, … in ballot order), voted on at one station per
    entry of ``registered``; the first ``reported`` stations have a result (those in ``quarantined`` not counted)."""
    ids = list(range(1, len(votes) + 1))
    valid = sum(votes)
    standing = rank_for_seats(ids, votes, seats)
    totals: Any = {
        "candidates": [
            {
                "id": cid,
                "votes": n,
                "share": round(n / valid, 6) if valid else None,
                "leading": cid in standing.leading,
                "tied": cid in standing.tied,
                "by_type": [],
            }
            for cid, n in zip(ids, votes, strict=True)
        ],
        "valid_votes": valid,
        "blank": 0,
        "invalid": 0,
        "undervotes": 0,
        "overvotes": 0,
        "ballots_cast": valid,
        "registered_voters": 0,
        "turnout": None,
        "stations_reporting": reported - len(quarantined),
        "stations_total": len(registered),
    }
    stations = {pk: station(pk, n) for pk, n in enumerate(registered, start=1)}
    contest: SnapshotContest = {
        "id": 1,
        "slug": "race",
        "name": "Race",
        "name_ar": "",
        "kind": kind,
        "threshold": threshold,
        "passes": _measure_passes(totals, threshold) if kind == "measure" else None,
        "district_id": None,
        "electoral_district_id": None,
        "station_ids": list(stations),
        "seats": seats,
        "max_choices": max_choices,
        "candidates": [
            {"id": cid, "name": f"C{cid}", "name_ar": "", "party_id": None, "ballot_order": cid, "is_write_in": False}
            for cid in ids
        ],
        "totals": totals,
        "districts": [],
        "stations": [
            {
                "station_id": pk,
                "ballots_cast": 0,
                "blank": 0,
                "invalid": 0,
                "undervotes": 0,
                "overvotes": 0,
                "votes": [0] * len(ids),
                "votes_by_type": [],
                "leading": [],
                "tied": [],
                "source": "tally_sheet",
                "sheet_version": 1,
                "quarantined": pk in quarantined,
                "quarantine_reason": "",
            }
            for pk in list(stations)[:reported]
        ],
        "quarantined": list(quarantined),
    }
    return contest, stations


def calls(contest: SnapshotContest, stations: dict[int, SnapshotStation], *, official: bool = False) -> dict[int, str]:
    return seat_calls(contest, contest["totals"], outstanding=outstanding_votes(contest, stations), official=official)


def test_the_margin_is_the_leaders_lead_over_the_runner_up_in_votes_and_points() -> None:
    contest, _stations = build([600, 400, 100], registered=[2000], reported=1)
    margin = seat_margin(contest, contest["totals"])
    assert margin is not None
    assert (margin.ahead, margin.behind, margin.votes, margin.last_seat) == (1, 2, 200, False)
    assert margin.share == pytest.approx(200 / 1100)


def test_with_several_seats_the_margin_is_the_last_seat_holders_over_the_first_outside() -> None:
    contest, _stations = build([50, 40, 30, 25, 10], seats=3, max_choices=3, registered=[100], reported=1)
    margin = seat_margin(contest, contest["totals"])
    assert margin is not None
    assert (margin.ahead, margin.behind, margin.votes, margin.last_seat) == (3, 4, 5, True)
    assert margin.share == pytest.approx(5 / 155)


def test_equal_votes_at_the_last_seat_are_a_tie_with_a_margin_of_zero_and_nobody_leading_it() -> None:
    contest, stations = build([50, 30, 30, 5], seats=2, max_choices=2, registered=[100], reported=1)
    margin = seat_margin(contest, contest["totals"])
    assert margin is not None
    assert margin.votes == 0
    assert calls(contest, stations) == {1: ELECTED, 2: TIED, 3: TIED}


def test_no_margin_before_any_vote_or_without_a_candidate_outside_the_seats() -> None:
    empty, _stations = build([0, 0], registered=[100], reported=0)
    assert seat_margin(empty, empty["totals"]) is None
    alone, _stations = build([40, 30], seats=2, max_choices=2, registered=[100], reported=1)
    assert seat_margin(alone, alone["totals"]) is None


def test_outstanding_votes_are_the_registered_voters_of_stations_not_reporting_times_the_choices() -> None:
    contest, stations = build([10, 5], seats=2, max_choices=3, registered=[100, 80, 70], reported=1)
    assert outstanding_votes(contest, stations) == Outstanding(stations=2, ballots=150, votes=450)
    # A quarantined result does not count: its station is still outstanding.
    contest, stations = build([10, 5], registered=[100, 80, 70], reported=2, quarantined=(2,))
    assert outstanding_votes(contest, stations) == Outstanding(stations=2, ballots=150, votes=150)
    # One station still to report without registered voters: nothing bounds what is to come.
    contest, stations = build([10, 5], registered=[100, None, 70], reported=1)
    assert outstanding_votes(contest, stations) == Outstanding(stations=2, ballots=None, votes=None)


@pytest.mark.parametrize(
    ("outstanding", "call"),
    [(201, LEADING), (200, LEADING), (199, ELECTED), (0, ELECTED)],
    ids=["margin-below-outstanding", "margin-equals-outstanding", "margin-exceeds-outstanding", "all-reported"],
)
def test_a_leader_is_elected_only_when_the_margin_exceeds_the_outstanding_votes(outstanding: int, call: str) -> None:
    contest, stations = build([600, 400], registered=[1000, outstanding], reported=1)
    assert calls(contest, stations) == {1: call}


def test_unknown_registered_voters_at_a_station_still_to_report_leave_everything_undecided_until_official() -> None:
    contest, stations = build([900, 10], registered=[1000, None], reported=1)
    assert calls(contest, stations) == {1: LEADING}
    assert calls(contest, stations, official=True) == {1: ELECTED}
    # Unknown registered voters where the station has reported change nothing: its ballots are counted.
    contest, stations = build([900, 10], registered=[None, 100], reported=1)
    assert calls(contest, stations) == {1: ELECTED}


def test_official_results_elect_every_seat_holder_but_never_break_a_tie() -> None:
    contest, stations = build([50, 30, 30], seats=2, max_choices=2, registered=[100, 100000], reported=1)
    assert calls(contest, stations) == {1: LEADING, 2: TIED, 3: TIED}
    assert calls(contest, stations, official=True) == {1: ELECTED, 2: TIED, 3: TIED}


def test_several_seats_each_holder_is_elected_by_their_own_lead_over_the_first_outside() -> None:
    # Three seats, three choices a ballot: 20 outstanding ballots may carry 60 votes.
    votes = [500, 470, 430, 400, 100]
    contest, stations = build(votes, seats=3, max_choices=3, registered=[2000, 20], reported=1)
    # Leads over the first outside (400): 100, 70, 30.
    assert calls(contest, stations) == {1: ELECTED, 2: ELECTED, 3: LEADING}
    # 24 ballots still out may carry 72 votes: more than the second holder's lead of 70.
    contest, stations = build(votes, seats=3, max_choices=3, registered=[2000, 70 // 3 + 1], reported=1)
    assert outstanding_votes(contest, stations).votes == 72
    assert calls(contest, stations) == {1: ELECTED, 2: LEADING, 3: LEADING}


def test_the_conservative_bound_counts_every_choice_of_every_outstanding_ballot() -> None:
    # A lead of 150 over the first outside, 100 ballots still out: with one choice a ballot that is decided, with two
    # it is not (each ballot may carry two votes).
    one, one_stations = build([300, 150], registered=[1000, 100], reported=1)
    assert calls(one, one_stations) == {1: ELECTED}
    two, two_stations = build([300, 200, 150], seats=2, max_choices=2, registered=[1000, 100], reported=1)
    assert calls(two, two_stations) == {1: LEADING, 2: LEADING}


def decided(contest: SnapshotContest, stations: dict[int, SnapshotStation], *, official: bool = False) -> bool:
    return measure_decided(
        contest, contest["totals"], outstanding=outstanding_votes(contest, stations), official=official
    )


@pytest.mark.parametrize(("outstanding", "final"), [(199, True), (200, False), (1000, False)])
def test_a_measure_has_passed_only_when_every_outstanding_vote_against_it_could_not_stop_it(
    outstanding: int, final: bool
) -> None:
    # 600 of 1,000 for Yes: with 200 more all for No it would be 600 of 1,200, not more than half.
    contest, stations = build([600, 400], kind="measure", registered=[1000, outstanding], reported=1)
    assert contest["passes"] is True
    assert decided(contest, stations) is final


@pytest.mark.parametrize(("outstanding", "final"), [(200, True), (201, False)])
def test_a_measure_has_failed_only_when_every_outstanding_vote_for_it_could_not_pass_it(
    outstanding: int, final: bool
) -> None:
    # 400 of 1,000: with 200 more all for Yes it is 600 of 1,200, exactly half, which does not pass.
    contest, stations = build([400, 600], kind="measure", registered=[1000, outstanding], reported=1)
    assert contest["passes"] is False
    assert decided(contest, stations) is final


@pytest.mark.parametrize(("outstanding", "final"), [(166, True), (167, False)])
def test_a_measure_with_a_threshold_is_decided_by_the_same_threshold(outstanding: int, final: bool) -> None:
    # 700 of 1,000 with 60% needed: 700 of 1,166 is still 60.03%, 700 of 1,167 is 59.98%.
    contest, stations = build([700, 300], kind="measure", threshold=0.6, registered=[1000, outstanding], reported=1)
    assert decided(contest, stations) is final


def test_a_measure_is_not_decided_with_unknown_outstanding_votes_or_none_yet_but_is_once_official() -> None:
    contest, stations = build([900, 100], kind="measure", registered=[1000, None], reported=1)
    assert decided(contest, stations) is False
    assert decided(contest, stations, official=True) is True
    empty, empty_stations = build([0, 0], kind="measure", registered=[1000], reported=0)
    assert decided(empty, empty_stations, official=True) is False


def test_registered_voters_counted_are_a_share_of_the_contests_registered_voters_only_when_all_are_known() -> None:
    contest, stations = build([10, 5], registered=[600, 400, 1000], reported=2, quarantined=(2,))
    counted = registered_counted(contest, stations)
    assert (counted.counted, counted.total, counted.unknown) == (600, 2000, 0)
    assert counted.share == pytest.approx(0.3)
    contest, stations = build([10, 5], registered=[600, None, None], reported=1)
    counted = registered_counted(contest, stations)
    assert (counted.counted, counted.total, counted.share, counted.unknown) == (600, None, None, 2)
