"""The geometry of one boundary-file feature, read and checked: a Polygon's or MultiPolygon's rings (numbers,
WGS84 range, closed, at least four positions, with an area, not crossing themselves) or a Point. A problem raises
``FeatureProblem`` with a sentence that names the ring at fault; ``boundary_files`` adds the feature's number and
code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from elections.geometry import (
    MultiPolygon,
    Position,
    Ring,
    TooComplexToCheck,
    first_self_intersection,
    is_closed,
    is_number,
    signed_area,
    without_repeats,
)

# Coordinates are kept to seven decimals of a degree, about a centimetre.
DECIMALS = 7


class FeatureProblem(ValueError):
    """One feature cannot be read; the message names what is wrong with it."""


def _position(value: Any) -> Position:
    if not isinstance(value, list) or len(value) < 2 or not all(is_number(n) for n in value[:3]):
        raise FeatureProblem
    return round(float(value[0]), DECIMALS), round(float(value[1]), DECIMALS)


def _outside_wgs84(position: Position) -> bool:
    return not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90)


def _projected(position: Position) -> str:
    return _(
        "its coordinates (%(x)s, %(y)s) are outside longitude −180…180 and latitude −90…90: the file is in another "
        "coordinate system (projected, in metres, for example). Export it again in WGS84 longitude and latitude "
        "(EPSG:4326)."
    ) % {"x": f"{position[0]:.10g}", "y": f"{position[1]:.10g}"}


def _ring_label(polygon: int, ring: int, multi: bool) -> str:
    if multi:
        return _("ring %(ring)d of polygon %(polygon)d") % {"ring": ring, "polygon": polygon}
    return _("ring %(ring)d") % {"ring": ring}


def _read_ring(raw: Any, label: str) -> Ring:
    if not isinstance(raw, list):
        raise FeatureProblem(_("%(ring)s is not a list of positions.") % {"ring": label})
    try:
        ring = [_position(value) for value in raw]
    except FeatureProblem:
        raise FeatureProblem(
            _("%(ring)s has coordinates that are not numbers: each position must be [longitude, latitude].")
            % {"ring": label}
        ) from None
    outside = next((position for position in ring if _outside_wgs84(position)), None)
    if outside is not None:
        raise FeatureProblem(_projected(outside))
    if len(ring) < 4:
        raise FeatureProblem(
            _("%(ring)s has %(count)d positions; a ring needs at least 4, the last repeating the first.")
            % {"ring": label, "count": len(ring)}
        )
    if not is_closed(ring):
        raise FeatureProblem(_("%(ring)s is not closed: its last position must repeat its first.") % {"ring": label})
    ring = without_repeats(ring)
    if len(ring) < 4:
        raise FeatureProblem(_("%(ring)s encloses no area.") % {"ring": label})
    try:
        crossing = first_self_intersection(ring)
    except TooComplexToCheck:
        raise FeatureProblem(
            _("%(ring)s is too intricate to check; simplify it before importing.") % {"ring": label}
        ) from None
    if crossing is not None:
        raise FeatureProblem(
            _("%(ring)s crosses itself (its segments %(first)d and %(second)d).")
            % {"ring": label, "first": crossing[0] + 1, "second": crossing[1] + 1}
        )
    if signed_area(ring) == 0:
        raise FeatureProblem(_("%(ring)s encloses no area.") % {"ring": label})
    return ring


def read_area(geometry: Mapping[str, Any]) -> MultiPolygon:
    """A Polygon's or MultiPolygon's rings, checked; a ``FeatureProblem`` names the first thing wrong."""
    multi = geometry["type"] == "MultiPolygon"
    coordinates = geometry.get("coordinates")
    polygons = coordinates if multi else [coordinates]
    if not isinstance(polygons, list) or not polygons or not all(isinstance(p, list) and p for p in polygons):
        raise FeatureProblem(_("its coordinates are not a list of rings."))
    return [
        [_read_ring(ring, _ring_label(p, r, multi)) for r, ring in enumerate(polygon, start=1)]
        for p, polygon in enumerate(polygons, start=1)
    ]


def read_point(geometry: Mapping[str, Any]) -> Position:
    """A Point's longitude and latitude, checked; a ``FeatureProblem`` says what is wrong."""
    try:
        position = _position(geometry.get("coordinates"))
    except FeatureProblem:
        raise FeatureProblem(_("its coordinates are not a pair of numbers [longitude, latitude].")) from None
    if _outside_wgs84(position):
        raise FeatureProblem(_projected(position))
    return position
