"""The pure-Python geometry of boundary imports: ring checks and Douglas–Peucker simplification, for all rings."""

from __future__ import annotations

import itertools
import math
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from elections.geometry import (
    Position,
    TooComplexToCheck,
    bbox_of,
    first_self_intersection,
    segments_intersect,
    signed_area,
    simplify_ring,
)
from elections.tests.geojson import wiggly_ring


@st.composite
def star_rings(draw: st.DrawFn, max_points: int = 120) -> list[Position]:
    """Simple rings: corners at increasing angles around a centre (whole degrees), each at its own distance; no gap
    between two angles reaches half a turn, so the centre sees every side and no side crosses another."""
    drawn = draw(st.lists(st.integers(0, 359), min_size=0, max_size=max_points, unique=True))
    angles = sorted({0, 120, 240, *drawn})
    radii = draw(st.lists(st.floats(0.1, 1.0), min_size=len(angles), max_size=len(angles)))
    cx, cy = draw(st.floats(-170, 170)), draw(st.floats(-80, 80))
    ring = [
        (round(cx + r * math.cos(math.radians(a)), 7), round(cy + r * math.sin(math.radians(a)), 7))
        for a, r in zip(angles, radii, strict=True)
    ]
    ring = [*ring, ring[0]]
    assume(abs(signed_area(ring)) > 1e-6)
    return ring


def brute_force_crossing(ring: list[Position]) -> bool:
    count = len(ring) - 1
    for i, j in itertools.combinations(range(count), 2):
        if j == i + 1 or (i == 0 and j == count - 1):
            a, b, c = (ring[i], ring[j], ring[j + 1]) if j == i + 1 else (ring[j], ring[0], ring[1])
            cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
            if cross == 0 and (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]) < 0:
                return True
            continue
        if segments_intersect(ring[i], ring[i + 1], ring[j], ring[j + 1]):
            return True
    return False


@given(star_rings(), st.floats(min_value=0, max_value=0.5))
@settings(max_examples=300, deadline=None)
def test_a_simplified_ring_stays_closed_long_enough_inside_the_original_box_and_never_grows(
    ring: list[Position], tolerance: float
) -> None:
    simplified = simplify_ring(ring, tolerance)

    assert simplified[0] == simplified[-1]
    assert len(simplified) >= 4
    assert len(simplified) <= len(ring)
    west, south, east, north = bbox_of(ring)
    assert all(west <= x <= east and south <= y <= north for x, y in simplified)
    # A subset of the original's positions, in their order.
    positions = iter(ring[:-1])
    assert all(any(p == q for q in positions) for p in simplified[:-1])


@given(star_rings(), st.floats(min_value=0, max_value=0.5))
@settings(max_examples=300, deadline=None)
def test_a_simple_ring_simplifies_to_a_simple_ring_with_an_area(ring: list[Position], tolerance: float) -> None:
    assert first_self_intersection(ring) is None
    simplified = simplify_ring(ring, tolerance)
    assert first_self_intersection(simplified) is None
    assert signed_area(simplified) != 0


@given(
    st.lists(
        st.tuples(st.integers(0, 6).map(float), st.integers(0, 6).map(float)), min_size=3, max_size=12, unique=True
    )
)
@settings(max_examples=500, deadline=None)
def test_the_grid_finds_a_crossing_exactly_when_comparing_every_pair_does(corners: list[Position]) -> None:
    ring = [*corners, corners[0]]
    assert (first_self_intersection(ring) is not None) == brute_force_crossing(ring)


def test_a_bow_tie_crosses_itself_at_the_segments_that_cross() -> None:
    bow_tie = [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]
    assert first_self_intersection(bow_tie) == (0, 2)


def test_a_ring_turning_back_on_itself_crosses_itself() -> None:
    spike = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (2.0, 1.0), (0.0, 2.0), (0.0, 0.0)]
    assert first_self_intersection(spike) is not None


def test_a_ring_touching_itself_at_a_corner_crosses_itself() -> None:
    figure_eight = [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0), (2.0, 2.0), (1.0, 1.0), (0.0, 2.0), (0.0, 0.0)]
    assert first_self_intersection(figure_eight) is not None


def test_straight_runs_of_a_ring_are_simplified_away_and_its_corners_kept() -> None:
    side = [(x / 10, 0.0) for x in range(10)] + [(1.0, y / 10) for y in range(10)]
    side += [(1 - x / 10, 1.0) for x in range(10)] + [(0.0, 1 - y / 10) for y in range(10)]
    simplified = simplify_ring([*side, side[0]], 0.001)
    assert sorted(simplified[:-1]) == [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]


def test_a_ring_of_a_few_thousand_positions_is_checked_and_simplified_in_well_under_a_second() -> None:
    ring = [(x, y) for x, y in wiggly_ring(35.0, 31.0, 1.0, 1500)]
    started = time.perf_counter()
    assert first_self_intersection(ring) is None
    simplified = simplify_ring(ring, 1e-4)
    elapsed = time.perf_counter() - started
    assert len(ring) == 6001
    assert 4 <= len(simplified) < len(ring)
    assert elapsed < 1.0, elapsed


def test_a_ring_too_intricate_to_check_within_bounds_is_refused_quickly() -> None:
    # A comb of long thin teeth: each tooth shares grid cells with a thousand others.
    teeth = 3000
    ring: list[Position] = []
    for tooth in range(teeth):
        x = tooth * 0.001
        ring += [(x, 0.0), (x, 1.0), (x + 0.0005, 1.0), (x + 0.0005, 0.0)]
    ring += [(teeth * 0.001, -0.1), (0.0, -0.1), (0.0, 0.0)]
    started = time.perf_counter()
    with pytest.raises(TooComplexToCheck):
        first_self_intersection(ring)
    assert time.perf_counter() - started < 5.0
