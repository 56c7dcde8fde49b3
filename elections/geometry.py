"""Plane geometry for district boundaries: ring checks and simplification, in pure Python.

A ring is a list of ``(longitude, latitude)`` positions whose last repeats its first (GeoJSON's linear ring). The
checks say whether a ring is closed, long enough and free of self-intersections; the simplification
(Douglas–Peucker, per ring) keeps a subset of a ring's positions, so a simplified ring stays inside the original's
bounding box, never gains a position, stays closed with at least four positions, and is checked again so it never
crosses itself.
"""

# Pure Python, not shapely: shapely and numpy would add tens of megabytes to a Docker image held under 250 MB.

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

Position = tuple[float, float]
Ring = list[Position]
Polygon = list[Ring]
MultiPolygon = list[Polygon]
BBox = tuple[float, float, float, float]  # west, south, east, north

# A ring needing more segment pairs tested than this many per segment (plus a floor) is refused as too complex to
# check: real boundaries, with short segments, need a handful per segment.
MAX_PAIR_TESTS_PER_SEGMENT = 64
MIN_PAIR_TESTS = 250_000
# Halvings of the tolerance tried when a simplified ring would cross itself, before the ring is kept as it was.
MAX_SIMPLIFY_RETRIES = 8


class TooComplexToCheck(ValueError):
    """A ring whose self-intersection test would exceed its bound of work."""


def is_number(value: object) -> bool:
    """A finite JSON number (a bool is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_closed(ring: Sequence[Position]) -> bool:
    return len(ring) > 1 and ring[0] == ring[-1]


def without_repeats(ring: Sequence[Position]) -> Ring:
    """``ring`` without positions that repeat the one before them (zero-length segments)."""
    kept: Ring = []
    for position in ring:
        if not kept or kept[-1] != position:
            kept.append(position)
    return kept


def signed_area(ring: Sequence[Position]) -> float:
    """Twice the signed area of a closed ring (shoelace formula); positive when counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def bbox_of(positions: Iterable[Position]) -> BBox:
    xs, ys = [], []
    for x, y in positions:
        xs.append(x)
        ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


def union_bbox(boxes: Iterable[BBox]) -> BBox | None:
    found = list(boxes)
    if not found:
        return None
    return (
        min(b[0] for b in found),
        min(b[1] for b in found),
        max(b[2] for b in found),
        max(b[3] for b in found),
    )


def multipolygon_positions(shape: MultiPolygon) -> Iterable[Position]:
    return (position for polygon in shape for ring in polygon for position in ring)


def count_positions(shape: MultiPolygon) -> int:
    return sum(len(ring) for polygon in shape for ring in polygon)


# --- segment intersection -------------------------------------------------------------------------------------------


def _orientation(a: Position, b: Position, c: Position) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Position, b: Position, c: Position) -> bool:
    """Whether ``c``, collinear with ``a`` and ``b``, lies within their box."""
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def segments_intersect(a: Position, b: Position, c: Position, d: Position) -> bool:
    """Whether segment ab and segment cd share at least one point (touching counts)."""
    d1, d2 = _orientation(c, d, a), _orientation(c, d, b)
    d3, d4 = _orientation(a, b, c), _orientation(a, b, d)
    if ((d1 > 0 and d2 < 0) or (d1 < 0 and d2 > 0)) and ((d3 > 0 and d4 < 0) or (d3 < 0 and d4 > 0)):
        return True
    return (
        (d1 == 0 and _on_segment(c, d, a))
        or (d2 == 0 and _on_segment(c, d, b))
        or (d3 == 0 and _on_segment(a, b, c))
        or (d4 == 0 and _on_segment(a, b, d))
    )


def _folds_back(a: Position, b: Position, c: Position) -> bool:
    """Whether consecutive segments ab and bc overlap along a line (the ring turns back on itself at ``b``)."""
    if _orientation(a, b, c) != 0:
        return False
    return (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]) < 0


def _cells_of_segment(a: Position, b: Position, origin: Position, size: float) -> Iterable[tuple[int, int]]:
    """The grid cells a segment passes through (column by column, so a long segment costs its length in cells, not
    the area of its box)."""
    (x0, y0), (x1, y1) = (a, b) if a[0] <= b[0] else (b, a)
    first, last = int((x0 - origin[0]) // size), int((x1 - origin[0]) // size)
    for column in range(first, last + 1):
        left = max(x0, origin[0] + column * size)
        right = min(x1, origin[0] + (column + 1) * size)
        if x1 == x0:
            low, high = min(y0, y1), max(y0, y1)
        else:
            ya = y0 + (y1 - y0) * (left - x0) / (x1 - x0)
            yb = y0 + (y1 - y0) * (right - x0) / (x1 - x0)
            low, high = min(ya, yb), max(ya, yb)
        for row in range(int((low - origin[1]) // size), int((high - origin[1]) // size) + 1):
            yield column, row


def first_self_intersection(ring: Sequence[Position]) -> tuple[int, int] | None:
    """The first pair of segments (by index, segment i from position i to i + 1) of a closed ring without repeated
    positions that cross or touch other than where consecutive segments meet; None for a simple ring.

    Segments are hashed into a grid whose cells are about twice a segment's mean length, and only segments sharing a
    cell are compared: about linear for a boundary's short segments. The work is bounded; past the bound the ring
    is refused (``TooComplexToCheck``) rather than checked for minutes.
    """
    count = len(ring) - 1
    if count < 3:
        return None
    for index in range(count):
        if _folds_back(ring[index - 1] if index else ring[count - 1], ring[index], ring[index + 1]):
            return ((index - 1) % count, index)
    west, south, east, north = bbox_of(ring)
    mean = sum(math.dist(ring[i], ring[i + 1]) for i in range(count)) / count
    size = max(2 * mean, max(east - west, north - south) / 4096, 1e-12)
    budget = max(MIN_PAIR_TESTS, MAX_PAIR_TESTS_PER_SEGMENT * count)
    grid: dict[tuple[int, int], list[int]] = {}
    for index in range(count):
        a, b = ring[index], ring[index + 1]
        candidates: set[int] = set()
        cells = list(_cells_of_segment(a, b, (west, south), size))
        for cell in cells:
            candidates.update(grid.get(cell, ()))
        budget -= len(candidates)
        if budget < 0:
            raise TooComplexToCheck
        for other in sorted(candidates):
            if other == index - 1 or (index == count - 1 and other == 0):
                continue  # consecutive segments share their end (a fold back was looked for above)
            if segments_intersect(ring[other], ring[other + 1], a, b):
                return other, index
        for cell in cells:
            grid.setdefault(cell, []).append(index)
    return None


# --- simplification -------------------------------------------------------------------------------------------------


def _distance_to_segment(p: Position, a: Position, b: Position) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = dx * dx + dy * dy
    if length == 0:
        return math.dist(p, a)
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length))
    return math.dist(p, (a[0] + t * dx, a[1] + t * dy))


def _douglas_peucker(points: Sequence[Position], first: int, last: int, tolerance: float, keep: set[int]) -> None:
    """Mark in ``keep`` the positions between ``first`` and ``last`` that Douglas–Peucker keeps (``points[last]``
    may wrap to the first position); iterative, so a long ring needs no deep recursion."""
    stack = [(first, last)]
    while stack:
        start, end = stack.pop()
        if end - start < 2:
            continue
        a, b = points[start], points[end % len(points)]
        farthest, distance = start, -1.0
        for index in range(start + 1, end):
            d = _distance_to_segment(points[index], a, b)
            if d > distance:
                farthest, distance = index, d
        if distance > tolerance:
            keep.add(farthest)
            stack.append((start, farthest))
            stack.append((farthest, end))


def _simplified_once(ring: Sequence[Position], tolerance: float) -> Ring:
    points = list(ring[:-1])
    count = len(points)
    start = points[0]
    far = max(range(count), key=lambda i: (math.dist(start, points[i]), -i))
    keep = {0, far}
    _douglas_peucker(points, 0, far, tolerance, keep)
    _douglas_peucker(points, far, count, tolerance, keep)
    if len(keep) < 3:
        # A ring keeps at least three corners: the one farthest from the line through the two kept.
        third = max(
            (i for i in range(count) if i not in keep),
            key=lambda i: (_distance_to_segment(points[i], start, points[far]), -i),
        )
        keep.add(third)
    kept = [points[i] for i in sorted(keep)]
    return [*kept, kept[0]]


def simplify_ring(ring: Sequence[Position], tolerance: float) -> Ring:
    """``ring`` (closed, at least four positions) with the positions that stray less than ``tolerance`` from the
    line of their neighbours left out; closed, at least four positions, and free of self-intersections when the
    original is (a tolerance that would make it cross itself is halved, and at worst the ring is kept whole)."""
    original = list(ring)
    if len(original) <= 4 or tolerance <= 0:
        return original
    for _attempt in range(MAX_SIMPLIFY_RETRIES):
        simplified = _simplified_once(original, tolerance)
        if len(simplified) >= len(original):
            return original
        try:
            crossed = first_self_intersection(simplified) is not None
        except TooComplexToCheck:
            crossed = True
        if not crossed and signed_area(simplified) != 0:
            return simplified
        tolerance /= 2
    return original


def simplify_shape(shape: MultiPolygon, tolerance: float) -> MultiPolygon:
    """Every ring of ``shape`` simplified on its own (``simplify_ring``)."""
    return [[simplify_ring(ring, tolerance) for ring in polygon] for polygon in shape]
