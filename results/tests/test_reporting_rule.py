"""One rule for "reporting": a station reports for a contest with a counted (accepted, not quarantined) result, and
overall when it reports for every contest it votes on."""

from __future__ import annotations

from ballots.selectors import StationResult
from results.tallies import counts_for_reporting, stations_reporting_everything


def _result(station_id: int, contest_id: int, *, quarantined: bool = False) -> StationResult:
    return StationResult(station_id, contest_id, 10, 0, 0, {}, "tally_sheet", quarantined, "", 1)


def test_a_station_quarantined_in_one_contest_reports_that_contest_not_but_the_other_and_not_overall() -> None:
    results = [_result(1, 10), _result(1, 20, quarantined=True), _result(2, 10), _result(2, 20)]
    voting, reporting = stations_reporting_everything({10: {1, 2}, 20: {1, 2}}, results)
    assert voting == {1, 2}
    assert reporting == {2}
    assert [counts_for_reporting(r) for r in results] == [True, False, True, True]
