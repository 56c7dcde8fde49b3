"""Station markers on a map: one per site, and never two overlapping at the drawn scale, for any stations."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from results.map_markers import GAP, Marker, Place, group_sites, place_markers, radius_for

UNIT = 10.0  # map units to a pixel


def overlapping(markers: list[Marker], gap: float = 0.0) -> list[tuple[Marker, Marker]]:
    """Pairs of markers whose squares (the circles' boxes) come closer than ``gap``."""
    return [
        (a, b)
        for a, b in itertools.combinations(markers, 2)
        if abs(a.x - b.x) < a.r + b.r + gap - 1e-6 and abs(a.y - b.y) < a.r + b.r + gap - 1e-6
    ]


places_strategy = st.lists(
    st.tuples(st.integers(0, 400), st.integers(0, 300), st.integers(1, 6)), min_size=0, max_size=120
).map(
    lambda rows: [
        Place(tuple(range(index * 10, index * 10 + count)), float(x * UNIT), float(y * UNIT))
        for index, (x, y, count) in enumerate(rows)
    ]
)


@given(places_strategy)
@settings(max_examples=200, deadline=None)
def test_no_two_markers_overlap_and_every_station_is_in_exactly_one(places: list[Place]) -> None:
    markers = place_markers(places, unit=UNIT)

    assert overlapping(markers, GAP * UNIT) == []
    stations = [station for marker in markers for station in marker.station_ids]
    assert sorted(stations) == sorted(station for place in places for station in place.station_ids)
    for marker in markers:
        assert marker.r == radius_for(len(marker.station_ids)) * UNIT


@given(places_strategy)
@settings(max_examples=50, deadline=None)
def test_the_same_places_always_give_the_same_markers(places: list[Place]) -> None:
    assert place_markers(places, unit=UNIT) == place_markers(list(places), unit=UNIT)


def test_two_markers_a_little_too_close_are_nudged_apart_not_merged() -> None:
    a, b = Place((1,), 0.0, 0.0), Place((2,), 100.0, 0.0)  # 10 pixels apart, radii of 6
    markers = place_markers([a, b], unit=UNIT)
    assert [m.station_ids for m in markers] == [(1,), (2,)]
    assert overlapping(markers, GAP * UNIT) == []
    assert abs(markers[0].x - a.x) <= 1.5 * markers[0].r


def test_markers_crowded_past_what_nudging_can_part_are_merged_into_ones_counting_them_all() -> None:
    crowd = [Place((1, 2), 0.0, 0.0), *(Place((n,), 5.0 * n, 5.0) for n in range(3, 9))]
    markers = place_markers(crowd, unit=UNIT)
    assert overlapping(markers, GAP * UNIT) == []
    assert len(markers) < len(crowd)
    merged = [m for m in markers if len(m.places) > 1]
    assert merged
    assert all(m.r == radius_for(len(m.station_ids)) * UNIT for m in merged)
    assert sorted(s for m in markers for s in m.station_ids) == list(range(1, 9))


def test_stations_at_one_site_are_grouped_and_others_kept_apart() -> None:
    stations = [
        (1, 35.900000, 31.900000),
        (2, 35.900000, 31.900000),
        (3, 35.900050, 31.900040),  # a few metres away: the same school
        (4, 35.910000, 31.900000),  # a kilometre away
        (5, 35.900150, 31.900000),  # a chain: within reach of 3
    ]
    assert group_sites(stations) == [[1, 2, 3, 5], [4]]
