"""Reads of district outlines for the results maps: an election's boundaries, projected once onto the plane of its
maps and written as SVG path data.

The outlines stay out of the snapshot and of the live frames: they are large and change only with a boundary import,
while a snapshot is sent to every viewer and rebuilt on every entry. A page draws each outline once, in a block of
shapes outside its live parts, and its maps refer to them by id (``<use href="#district-shape-<id>">``), so a live
frame that redraws a map carries a few bytes per district instead of its coordinates.

They are read through ``get_election_shapes``, cached by the stamp of the election's boundaries
(``elections.boundary_stamps``: set in the shared cache by each import, so reading it costs no query), in the shared
cache and in each process: the paths are read and projected once per boundary import, and neither a results page
built from a cached snapshot nor a broadcast's recount runs a query for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.core.cache import cache

from elections.boundary_stamps import NO_BOUNDARIES, get_boundary_stamp
from elections.models import DistrictBoundary
from results.snapshot import Snapshot

# Units across the longer side of an election's outlines: whole numbers keep the paths short yet exact to a
# hundred-thousandth of the map, finer than a pixel of any district's own map.
PLANE_SIZE = 100_000
# The paths are kept as long as nobody imports boundaries (a day at most).
SHAPES_TIMEOUT = 86_400


@dataclass(frozen=True)
class Projection:
    """Longitude and latitude onto the maps' plane: equirectangular, longitude shrunk by the cosine of the middle
    latitude, north up; ``scale`` units to a degree of latitude."""

    west: float
    north: float
    squeeze: float
    scale: float

    def project(self, longitude: float, latitude: float) -> tuple[float, float]:
        return (longitude - self.west) * self.squeeze * self.scale, (self.north - latitude) * self.scale

    @classmethod
    def around(cls, west: float, south: float, east: float, north: float) -> Projection:
        """The projection putting this box (degrees) on ``PLANE_SIZE`` units along its longer side."""
        squeeze = math.cos(math.radians((south + north) / 2))
        extent = max((east - west) * squeeze, north - south, 1e-6)
        return cls(west=west, north=north, squeeze=squeeze, scale=PLANE_SIZE / extent)


@dataclass(frozen=True)
class DistrictShape:
    """A district's outline on the plane: its element id in a page, its path data, its box and a point inside it
    (the middle of its largest polygon, where a label would go)."""

    shape_id: str
    path: str
    box: tuple[float, float, float, float]
    middle: tuple[float, float]


@dataclass(frozen=True)
class ElectionShapes:
    """Every outline of an election, by district id, on one plane."""

    stamp: str
    projection: Projection | None
    districts: dict[int, DistrictShape] = field(default_factory=dict)


def shape_id(district_id: int) -> str:
    return f"district-shape-{district_id}"


def _ring_path(ring: list[list[float]], projection: Projection) -> tuple[str, list[tuple[int, int]]]:
    points: list[tuple[int, int]] = []
    for longitude, latitude in ring[:-1]:
        x, y = projection.project(longitude, latitude)
        point = (round(x), round(y))
        if not points or points[-1] != point:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        return "", points
    first, *rest = points
    return f"M{first[0]} {first[1]}L" + " ".join(f"{x} {y}" for x, y in rest) + "Z", points


def _middle(rings: list[list[tuple[int, int]]]) -> tuple[float, float]:
    """The centroid of the largest outer ring (by area), or its box's middle if it has none."""
    best, best_area = rings[0], -1.0
    for ring in rings:
        area = abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True)))
        if area > best_area:
            best, best_area = ring, area
    twice = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(best, [*best[1:], best[0]], strict=True))
    if twice == 0:
        xs, ys = [p[0] for p in best], [p[1] for p in best]
        return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(best, [*best[1:], best[0]], strict=True))
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(best, [*best[1:], best[0]], strict=True))
    return round(cx / (3 * twice), 1), round(cy / (3 * twice), 1)


def project_boundaries(
    rows: list[tuple[int, list[list[list[list[float]]]], float, float, float, float]], stamp: str
) -> ElectionShapes:
    """The outlines ``(district id, coordinates, west, south, east, north)`` on one plane fitted around them all."""
    if not rows:
        return ElectionShapes(stamp=stamp, projection=None)
    projection = Projection.around(
        min(r[2] for r in rows), min(r[3] for r in rows), max(r[4] for r in rows), max(r[5] for r in rows)
    )
    districts = {}
    for district_id, coordinates, west, south, east, north in rows:
        paths, outer_rings = [], []
        for polygon in coordinates:
            for index, ring in enumerate(polygon):
                path, points = _ring_path(ring, projection)
                if path:
                    paths.append(path)
                    if index == 0:
                        outer_rings.append(points)
        if not outer_rings:
            continue
        x0, y0 = projection.project(west, north)
        x1, y1 = projection.project(east, south)
        districts[district_id] = DistrictShape(
            shape_id=shape_id(district_id),
            path="".join(paths),
            box=(math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1)),
            middle=_middle(outer_rings),
        )
    return ElectionShapes(stamp=stamp, projection=projection, districts=districts)


def _read_shapes(election_id: int, stamp: str) -> ElectionShapes:
    rows = list(
        DistrictBoundary.objects.filter(district__election_id=election_id)
        .order_by("district_id")
        .values_list("district_id", "coordinates", "west", "south", "east", "north")
    )
    return project_boundaries(rows, stamp)


# The outlines of each election last read in this process; checked against the stamp on every read.
MAX_REMEMBERED = 64
_remembered: dict[int, ElectionShapes] = {}


def get_election_shapes(snapshot: Snapshot) -> ElectionShapes:
    """The outlines of the snapshot's election as its maps draw them (none: no boundary was imported)."""
    election_id = int(snapshot["election"]["id"])
    stamp = get_boundary_stamp(election_id=election_id)
    remembered = _remembered.get(election_id)
    if remembered is not None and remembered.stamp == stamp:
        return remembered
    shapes_key = f"results:map-shapes:{election_id}:{stamp}"
    shapes = cache.get(shapes_key)
    if not isinstance(shapes, ElectionShapes):
        shapes = _read_shapes(election_id, stamp) if stamp != NO_BOUNDARIES else ElectionShapes(stamp, None)
        cache.set(shapes_key, shapes, SHAPES_TIMEOUT)
    if len(_remembered) >= MAX_REMEMBERED:
        _remembered.clear()
    _remembered[election_id] = shapes
    return shapes
