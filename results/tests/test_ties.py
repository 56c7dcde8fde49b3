"""A tie for the one seat, or for the last of several, is shown as a tie: nobody tied gets the star or "Leading"."""

from __future__ import annotations

from results.tallies import rank_for_seats


def test_a_tie_for_a_single_seat_leaves_nobody_leading() -> None:
    standing = rank_for_seats([1, 2, 3], [42, 42, 10], 1)
    assert standing.leading == []
    assert sorted(standing.tied) == [1, 2]


def test_a_tie_for_the_last_of_five_seats_leads_only_those_above_it() -> None:
    standing = rank_for_seats([1, 2, 3, 4, 5, 6, 7], [90, 80, 70, 60, 42, 42, 5], 5)
    assert standing.leading == [1, 2, 3, 4]
    assert sorted(standing.tied) == [5, 6]


def test_no_tie_when_the_next_candidate_has_fewer_votes() -> None:
    assert rank_for_seats([1, 2, 3], [42, 41, 41], 1) == ([1], [])
    assert rank_for_seats([1, 2], [0, 0], 1) == ([], [])
