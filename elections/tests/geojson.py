"""Boundary files for the tests: GeoJSON features and collections built from a few numbers."""

from __future__ import annotations

import json
import math
from typing import Any


def square(west: float, south: float, size: float) -> list[list[float]]:
    """A closed ring around a square, counter-clockwise."""
    return [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]


def wiggly_ring(west: float, south: float, size: float, steps: int) -> list[list[float]]:
    """A closed ring around a square whose sides wave a little, with ``4 × steps`` positions: a detailed border."""
    ring: list[list[float]] = []
    corners = [(west, south), (west + size, south), (west + size, south + size), (west, south + size)]
    for index, (x0, y0) in enumerate(corners):
        x1, y1 = corners[(index + 1) % 4]
        normal = (-(y1 - y0) / size, (x1 - x0) / size)
        for step in range(steps):
            t = step / steps
            wave = size * 0.01 * math.sin(t * math.pi * 6) * math.sin(t * math.pi)
            ring.append(
                [round(x0 + (x1 - x0) * t + normal[0] * wave, 7), round(y0 + (y1 - y0) * t + normal[1] * wave, 7)]
            )
    return [*ring, ring[0]]


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def point(longitude: float, latitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [longitude, latitude]}


def feature(code: str | None, geometry: Any, **properties: Any) -> dict[str, Any]:
    props = {"code": code, **properties} if code is not None else dict(properties)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features: dict[str, Any], **members: Any) -> bytes:
    return json.dumps({"type": "FeatureCollection", **members, "features": list(features)}).encode()


def north_and_south() -> bytes:
    """Boundaries for the shared test election's two districts, N above S, and a position for station N-001."""
    return collection(
        feature("N", polygon(square(35.90, 31.95, 0.05))),
        feature("S", polygon(square(35.90, 31.90, 0.05))),
        feature("N-001", point(35.925, 31.975)),
    )
