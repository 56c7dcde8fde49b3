"""Where a map draws its polling station markers, so that no two overlap.

Stations at one site (the same or nearly the same coordinates: the boxes of one school) become one marker that
counts them. Markers still overlapping at the scale the map is drawn are nudged apart a little; those that cannot be
nudged far enough are merged into one marker counting all their stations (a marker with most stations takes in those
overlapping it). Everything is done in the order the stations are given (by code), with no randomness, so the same
stations always give the same map.

Markers are kept apart as squares, not only as circles: the square around one marker never meets another's, with a
gap between them. Units are the map's (``unit`` of them make one pixel of the map drawn at its usual width).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Stations closer than this, in degrees (about 11 m), stand at one site.
SITE_TOLERANCE = 1e-4
# Marker radii in pixels: one station, a few, tens, hundreds.
RADII = ((1, 6.0), (9, 9.0), (99, 11.0))
LARGEST_RADIUS = 13.0
# Pixels kept free between two markers' squares.
GAP = 2.0
# How far a marker may be nudged from its place, in its own radii, and for how many rounds.
MAX_NUDGE = 1.5
NUDGE_ROUNDS = 40
# Past this many overlapping pairs (and twice as many as markers), markers are merged before any is nudged.
CROWDED_PAIRS = 200


@dataclass(frozen=True)
class Place:
    """Stations at one site (ids in code order) and where the site is on the map."""

    station_ids: tuple[int, ...]
    x: float
    y: float


@dataclass(frozen=True)
class Marker:
    """One marker: the sites it stands for, where it is drawn, and its radius (map units)."""

    places: tuple[Place, ...]
    x: float
    y: float
    r: float

    @property
    def station_ids(self) -> tuple[int, ...]:
        return tuple(station_id for place in self.places for station_id in place.station_ids)


def radius_for(count: int) -> float:
    """A marker's radius in pixels for ``count`` stations: larger for more, in a few steps."""
    return next((radius for most, radius in RADII if count <= most), LARGEST_RADIUS)


def group_sites(stations: Sequence[tuple[int, float, float]]) -> list[list[int]]:
    """The stations ``(id, longitude, latitude)``, in the order given, grouped by site: any two within
    ``SITE_TOLERANCE`` of each other in both directions are at one site (and so on, step by step)."""
    pairs: list[tuple[int, int]] = []
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, (_station_id, lon, lat) in enumerate(stations):
        column, row = math.floor(lon / SITE_TOLERANCE), math.floor(lat / SITE_TOLERANCE)
        for dc in (-1, 0, 1):
            for dr in (-1, 0, 1):
                for other in cells.get((column + dc, row + dr), ()):
                    _id, other_lon, other_lat = stations[other]
                    if abs(other_lon - lon) <= SITE_TOLERANCE and abs(other_lat - lat) <= SITE_TOLERANCE:
                        pairs.append((other, index))
        cells[(column, row)].append(index)
    return [[stations[index][0] for index in group] for group in _components(len(stations), pairs)]


def _components(count: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """The groups of ``range(count)`` that ``pairs`` join, each in index order, ordered by their first index."""
    parent = list(range(count))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for a, b in pairs:
        parent[root(b)] = root(a)
    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(count):
        groups[root(index)].append(index)
    return list(groups.values())


def _overlapping_pairs(xs: list[float], ys: list[float], rs: list[float], gap: float) -> Iterable[tuple[int, int]]:
    """Pairs of markers whose squares (grown by half the gap) meet, found through a grid of the largest size."""
    size = 2 * max(rs) + gap
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index in range(len(xs)):
        column, row = math.floor(xs[index] / size), math.floor(ys[index] / size)
        for dc in (-1, 0, 1):
            for dr in (-1, 0, 1):
                for other in cells.get((column + dc, row + dr), ()):
                    need = rs[index] + rs[other] + gap
                    if abs(xs[index] - xs[other]) < need and abs(ys[index] - ys[other]) < need:
                        yield other, index
        cells[(column, row)].append(index)


def _nudge(places: Sequence[tuple[float, float]], rs: list[float], gap: float) -> tuple[list[float], list[float]]:
    """Markers pushed apart, pair by pair, along the axis that needs the shorter push, each at most ``MAX_NUDGE``
    radii from its place; deterministic (pairs in index order, ties pushed by index)."""
    xs, ys = [p[0] for p in places], [p[1] for p in places]
    for _round in range(NUDGE_ROUNDS):
        moved = False
        for a, b in sorted(_overlapping_pairs(xs, ys, rs, gap)):
            need = rs[a] + rs[b] + gap
            dx, dy = xs[b] - xs[a], ys[b] - ys[a]
            push_x, push_y = need - abs(dx), need - abs(dy)
            if push_x <= push_y:
                sign = 1.0 if dx >= 0 else -1.0
                xs[a] -= sign * push_x / 2
                xs[b] += sign * push_x / 2
            else:
                sign = 1.0 if dy >= 0 else -1.0
                ys[a] -= sign * push_y / 2
                ys[b] += sign * push_y / 2
            moved = True
        for index, (x, y) in enumerate(places):
            reach = MAX_NUDGE * rs[index]
            xs[index] = min(max(xs[index], x - reach), x + reach)
            ys[index] = min(max(ys[index], y - reach), y + reach)
        if not moved:
            break
    return xs, ys


def _merged(group: list[Marker], unit: float) -> Marker:
    places = tuple(sorted((place for marker in group for place in marker.places), key=lambda p: p.station_ids))
    count = sum(len(place.station_ids) for place in places)
    x = sum(place.x * len(place.station_ids) for place in places) / count
    y = sum(place.y * len(place.station_ids) for place in places) / count
    return Marker(places=places, x=x, y=y, r=radius_for(count) * unit)


def _claimed(markers: list[Marker], pairs: list[tuple[int, int]], unit: float) -> list[Marker]:
    """One greedy pass for crowded maps: the markers of most stations first, each takes in the markers still free
    that overlap it (no chains: a marker taken in takes in nothing), and each group becomes one marker."""
    neighbours: dict[int, list[int]] = defaultdict(list)
    for a, b in pairs:
        neighbours[a].append(b)
        neighbours[b].append(a)
    order = sorted(range(len(markers)), key=lambda i: (-len(markers[i].station_ids), markers[i].station_ids))
    taken: set[int] = set()
    result = []
    for index in order:
        if index in taken:
            continue
        group = [index, *(other for other in sorted(neighbours[index]) if other not in taken)]
        taken.update(group)
        result.append(markers[index] if len(group) == 1 else _merged([markers[i] for i in group], unit))
    return result


def _origin(marker: Marker) -> tuple[float, float]:
    count = len(marker.station_ids)
    return (
        sum(p.x * len(p.station_ids) for p in marker.places) / count,
        sum(p.y * len(p.station_ids) for p in marker.places) / count,
    )


def place_markers(places: Sequence[Place], *, unit: float) -> list[Marker]:
    """One marker per place, none overlapping another at the drawn scale (``unit`` map units to a pixel): nudged
    apart where a small move is enough, merged where it is not. Markers come in the order of their first station.

    A crowded map (more overlapping pairs than ``CROWDED_PAIRS`` and than twice its markers) is first thinned by
    greedy merging (``_claimed``), so that nudging, which costs a pass over the overlapping pairs per round, never
    sees thousands."""
    markers = [
        Marker(places=(place,), x=place.x, y=place.y, r=radius_for(len(place.station_ids)) * unit) for place in places
    ]
    gap = GAP * unit
    while True:
        markers.sort(key=lambda marker: marker.station_ids)
        if len(markers) < 2:
            return markers
        origins = [_origin(marker) for marker in markers]
        rs = [marker.r for marker in markers]
        xs, ys = [o[0] for o in origins], [o[1] for o in origins]
        crowded = sorted(_overlapping_pairs(xs, ys, rs, gap))
        if not crowded:
            return [Marker(m.places, x, y, m.r) for m, (x, y) in zip(markers, origins, strict=True)]
        if len(crowded) > max(CROWDED_PAIRS, 2 * len(markers)):
            markers = _claimed(markers, crowded, unit)
            continue
        xs, ys = _nudge(origins, rs, gap)
        left = sorted(_overlapping_pairs(xs, ys, rs, gap))
        if not left:
            return [Marker(m.places, x, y, m.r) for m, x, y in zip(markers, xs, ys, strict=True)]
        markers = _claimed(markers, left, unit)
