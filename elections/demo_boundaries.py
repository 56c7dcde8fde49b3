"""The Riverland demo's district boundaries: made-up outlines drawn around each district's polling stations.

Each district gets the part of the town closer to the middle of its stations than to any other district's (a Voronoi
cell of those middles, inside a frame around every station), its sides bent into gentle waves so the outlines look
like streets and streams rather than rulers. Every border is bent the same way seen from either side, so neighbours
share it exactly. The outlines are a GeoJSON file in WGS84 longitude and latitude, imported through the same service
an official's file goes through. Nothing random: the same stations always give the same file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence

from elections.models import District, Election, PollingStation

Point = tuple[float, float]
# How far the frame reaches past the outermost stations, in degrees of latitude.
FRAME_MARGIN = 0.008
# How far a border's waves stray from the straight line, and how long a step along it is, in degrees of latitude.
WAVE_HEIGHT = 0.0009
WAVE_STEP = 0.0005
# How much of the frame's shorter side each cut corner takes.
CORNER_CUT = 0.22
DECIMALS = 7


def _clip(polygon: list[Point], normal: Point, limit: float) -> list[Point]:
    """The part of a convex polygon where ``normal · p <= limit`` (one Sutherland–Hodgman pass)."""
    kept: list[Point] = []
    for index, current in enumerate(polygon):
        previous = polygon[index - 1]
        inside_now = normal[0] * current[0] + normal[1] * current[1] <= limit
        inside_before = normal[0] * previous[0] + normal[1] * previous[1] <= limit
        if inside_now != inside_before:
            a = normal[0] * previous[0] + normal[1] * previous[1] - limit
            b = normal[0] * current[0] + normal[1] * current[1] - limit
            t = a / (a - b)
            kept.append((previous[0] + t * (current[0] - previous[0]), previous[1] + t * (current[1] - previous[1])))
        if inside_now:
            kept.append(current)
    return kept


def voronoi_cells(seeds: Sequence[Point], frame: list[Point]) -> list[list[Point]]:
    """Each seed's cell: the points of ``frame`` (convex, counter-clockwise) nearer to it than to any other seed."""
    cells = []
    for index, seed in enumerate(seeds):
        cell = list(frame)
        for other_index, other in enumerate(seeds):
            if other_index == index:
                continue
            normal = (2 * (other[0] - seed[0]), 2 * (other[1] - seed[1]))
            limit = other[0] ** 2 + other[1] ** 2 - seed[0] ** 2 - seed[1] ** 2
            cell = _clip(cell, normal, limit)
        cells.append(cell)
    return cells


def _phases(a: Point, b: Point) -> tuple[float, float, float]:
    digest = hashlib.sha256(repr((a, b)).encode()).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "big") / 2**32 for i in (0, 4, 8))  # type: ignore[return-value]


def _bent_side(a: Point, b: Point, squeeze: float) -> list[Point]:
    """The positions of side ``a → b`` (without ``b``) bent into uneven waves; a side and its reverse bend alike."""
    forward = a <= b
    start, end = (a, b) if forward else (b, a)
    # Measured on the ground: a degree of longitude is ``squeeze`` of a degree of latitude here.
    dx, dy = (end[0] - start[0]) * squeeze, end[1] - start[1]
    length = math.hypot(dx, dy)
    steps = max(2, int(length / WAVE_STEP))
    normal = (-dy / length / squeeze, dx / length)
    first, second, shift = _phases(start, end)
    # Two waves of unrelated lengths, so no side repeats a pattern; short sides bend less.
    waves = 0.6 + length / 0.012 * (0.6 + 0.5 * first)
    height = min(WAVE_HEIGHT, 0.08 * length)
    points = []
    for step in range(steps + 1):
        t = step / steps
        wave = 0.65 * math.sin(2 * math.pi * (waves * t + shift)) + 0.35 * math.sin(
            2 * math.pi * (2.7 * waves * t + second)
        )
        bend = height * math.sin(math.pi * t) * wave
        points.append(
            (
                round(start[0] + (end[0] - start[0]) * t + normal[0] * bend, DECIMALS),
                round(start[1] + (end[1] - start[1]) * t + normal[1] * bend, DECIMALS),
            )
        )
    if not forward:
        points.reverse()
    return points[:-1]


def _outline(cell: list[Point], squeeze: float) -> list[list[float]]:
    corners = [(round(x, DECIMALS), round(y, DECIMALS)) for x, y in cell]
    ring: list[Point] = []
    for index, corner in enumerate(corners):
        ring += _bent_side(corner, corners[(index + 1) % len(corners)], squeeze)
    return [[x, y] for x, y in [*ring, ring[0]]]


def riverland_boundary_file(election: Election) -> bytes:
    """The GeoJSON file of ``election``'s district outlines, drawn around its stations as they are stored."""
    districts = list(District.objects.filter(election=election).order_by("code"))
    stations = PollingStation.objects.filter(election=election, latitude__isnull=False).order_by("code")
    places: dict[int, list[Point]] = {district.pk: [] for district in districts}
    for station in stations:
        places[station.district_id].append((float(station.longitude or 0), float(station.latitude or 0)))
    placed = [district for district in districts if places[district.pk]]
    every = [point for district in placed for point in places[district.pk]]
    middle_latitude = sum(y for _x, y in every) / len(every)
    squeeze = math.cos(math.radians(middle_latitude))
    # Cells are cut where distances on the ground are equal: longitude shrunk by the cosine of the latitude.
    seeds = [
        (
            sum(x for x, _y in places[d.pk]) / len(places[d.pk]) * squeeze,
            sum(y for _x, y in places[d.pk]) / len(places[d.pk]),
        )
        for d in placed
    ]
    west = min(x for x, _y in every) * squeeze - FRAME_MARGIN
    east = max(x for x, _y in every) * squeeze + FRAME_MARGIN
    south = min(y for _x, y in every) - FRAME_MARGIN
    north = max(y for _x, y in every) + FRAME_MARGIN
    # The town's edge: the box around the stations with its corners cut off.
    cut = min(east - west, north - south) * CORNER_CUT
    frame = [
        (west + cut, south),
        (east - cut * 0.6, south),
        (east, south + cut * 0.8),
        (east, north - cut),
        (east - cut * 0.7, north),
        (west + cut * 0.5, north),
        (west, north - cut * 0.9),
        (west, south + cut * 0.6),
    ]
    features = []
    for district, cell in zip(placed, voronoi_cells(seeds, frame), strict=True):
        corners = [(x / squeeze, y) for x, y in cell]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": district.code, "name": district.name},
                "geometry": {"type": "Polygon", "coordinates": [_outline(corners, squeeze)]},
            }
        )
    collection = {"type": "FeatureCollection", "name": "riverland-districts", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
