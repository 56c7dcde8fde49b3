"""For any sequence of ballots, voids, sheets, corrections, quarantines and releases, the served tallies equal a
recount kept alongside in plain Python."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.tests.support import set_counting
from ballots.tests.test_recount_property import STATIONS, Shadow, _run, operations
from elections.models import Election
from results.selectors import get_results_snapshot
from results.services import refresh_tallies


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, method=st.sampled_from(list(Election.CountingMethod.values)))
def test_served_tallies_equal_a_recount(open_vote: Election, official: User, ops: list[tuple], method: str) -> None:
    with transaction.atomic():
        election = set_counting(open_vote, Election.CountingMethod.BOTH)
        contest = election.contests.create(name="Council", slug="council-prop", max_choices=2, seats=2)
        ids = [contest.candidates.create(name_en=f"C{i}", name_ar=f"C{i}", ballot_order=i + 1).pk for i in range(3)]
        stations = list(election.stations.order_by("code")[:STATIONS])
        shadow = Shadow()
        keys = itertools.count()
        for op in ops:
            _run(
                op,
                stations=stations,
                contest=contest,
                ids=ids,
                actor=official,
                shadow=shadow,
                key=f"op-{next(keys):05d}",
            )
        # The same entries read under another counting method must still sum to what that method counts.
        election = set_counting(election, method)
        refresh_tallies(election_id=election.pk)
        snapshot = get_results_snapshot(election=election)
        served = next(c for c in snapshot["contests"] if c["slug"] == "council-prop")

        votes, blank, invalid, cast, reporting, quarantined = [0, 0, 0], 0, 0, 0, 0, []
        for s, station in enumerate(stations):
            expected = _expected_under(shadow, s, method)
            if expected is None:
                continue
            (s_cast, s_blank, s_invalid, s_votes), is_quarantined = expected
            if is_quarantined:
                quarantined.append(station.pk)
                continue
            reporting += 1
            cast, blank, invalid = cast + s_cast, blank + s_blank, invalid + s_invalid
            votes = [a + b for a, b in zip(votes, s_votes, strict=True)]
        totals = served["totals"]
        assert [c["votes"] for c in totals["candidates"]] == votes
        assert (totals["ballots_cast"], totals["blank"], totals["invalid"]) == (cast, blank, invalid)
        assert totals["stations_reporting"] == reporting
        assert sorted(served["quarantined"]) == sorted(quarantined)
        transaction.set_rollback(True)


def _expected_under(shadow: Shadow, s: int, method: str) -> tuple[tuple[int, int, int, tuple[int, ...]], bool] | None:
    """What station ``s`` reports under ``method``: the shadow keeps both counts, the method picks."""
    if method == Election.CountingMethod.BOTH:
        return shadow.expected(s)
    if method == Election.CountingMethod.TALLY_SHEETS:
        if s not in shadow.sheet:
            return None
        return shadow.sheet[s], shadow.status[s] == "quarantined"
    if s not in shadow.complete:
        return None
    return shadow.ballot_numbers(s), False
