"""Reading a boundary file: a GeoJSON FeatureCollection of district outlines (Polygon or MultiPolygon features) and,
optionally, polling station positions (Point features), each feature naming its district or station by code.

Every problem is named, the feature by its number in the file (the first is 1) and its code: a file too large, not
JSON, not a FeatureCollection, in another coordinate system than WGS84 longitude and latitude (a ``crs`` member
naming another system, or coordinates outside −180…180, −90…90, as projected metres are), a geometry that is not a
valid ring (not closed, fewer than four positions, crossing itself, no area, coordinates that are not numbers). The
file is read in full before any of it is used: it loads whole or not at all (``services.boundaries``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from elections.boundary_features import FeatureProblem, read_area, read_point
from elections.geometry import MultiPolygon

# A county's or a country's districts, simplified by whoever exported them, fit well within this; a setting raises it.
DEFAULT_MAX_BOUNDARY_FILE_SIZE = 20 * 1024 * 1024
# Where a feature's code is looked for when the form names no property, in this order (any case).
CODE_PROPERTIES = ("code", "district_code", "station_code", "ref", "id")
# What a ``crs`` member may name: longitude and latitude on WGS84, GeoJSON's only coordinate system (RFC 7946).
WGS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "urn:ogc:def:crs:epsg::4326",
        "urn:ogc:def:crs:epsg:6.6:4326",
        "epsg:4326",
        "crs84",
        "wgs84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "http://www.opengis.net/def/crs/epsg/0/4326",
    }
)
AREA_TYPES = ("Polygon", "MultiPolygon")


def max_boundary_file_size() -> int:
    """The largest boundary file accepted, in bytes (``BOUNDARY_FILE_MAX_BYTES``)."""
    return int(getattr(settings, "BOUNDARY_FILE_MAX_BYTES", DEFAULT_MAX_BOUNDARY_FILE_SIZE))


@dataclass(frozen=True)
class AreaFeature:
    """A district's outline as the file gives it (rounded to ``DECIMALS``), checked."""

    number: int
    code: str
    shape: MultiPolygon


@dataclass(frozen=True)
class PointFeature:
    """A polling station's position as the file gives it."""

    number: int
    code: str
    longitude: float
    latitude: float


@dataclass
class BoundaryFile:
    """What a boundary file holds: its good features, and a sentence for each problem (none: it can load)."""

    sha256: str
    areas: list[AreaFeature] = field(default_factory=list)
    points: list[PointFeature] = field(default_factory=list)
    # Each problem with the number of its feature (0: the file's own), so that they are listed in the file's order.
    numbered_problems: list[tuple[int, str]] = field(default_factory=list)

    def note(self, number: int, problem: str) -> None:
        self.numbered_problems.append((number, problem))

    @property
    def problems(self) -> list[str]:
        return [problem for _number, problem in sorted(self.numbered_problems, key=lambda item: item[0])]


def _crs_name(crs: Any) -> str:
    if isinstance(crs, Mapping):
        properties = crs.get("properties")
        if isinstance(properties, Mapping) and properties.get("name") is not None:
            return str(properties["name"])
        if properties is not None:
            return json.dumps(properties)[:100]
    return json.dumps(crs)[:100]


def _named(number: int, code: str) -> str:
    if code:
        return _("Feature %(number)d (code “%(code)s”)") % {"number": number, "code": code}
    return _("Feature %(number)d") % {"number": number}


def feature_code(feature: Mapping[str, Any], code_property: str) -> str:
    """The code a feature names: from the property the form names, else from the first of ``CODE_PROPERTIES`` it has
    (any case), else from its ``id``. Empty when it names none."""
    properties = feature.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    by_lower = {str(name).lower(): value for name, value in properties.items()}
    names = [code_property.lower()] if code_property else list(CODE_PROPERTIES)
    for name in names:
        value = by_lower.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    if not code_property and isinstance(feature.get("id"), str | int) and not isinstance(feature.get("id"), bool):
        return str(feature["id"]).strip()
    return ""


def _read_feature(feature: Any, number: int, code_property: str, found: BoundaryFile) -> None:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise FeatureProblem(_("Feature %(number)d is not a GeoJSON Feature.") % {"number": number})
    code = feature_code(feature, code_property)
    if not code:
        if code_property:
            raise FeatureProblem(
                _("Feature %(number)d has no “%(name)s” property.") % {"number": number, "name": code_property}
            )
        raise FeatureProblem(
            _("Feature %(number)d has no code: give it a “code” property, or name the property that holds codes.")
            % {"number": number}
        )
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, Mapping) else None
    try:
        if not isinstance(geometry, Mapping):
            raise FeatureProblem(_("it has no geometry."))
        if kind in AREA_TYPES:
            found.areas.append(AreaFeature(number, code, read_area(geometry)))
        elif kind == "Point":
            longitude, latitude = read_point(geometry)
            found.points.append(PointFeature(number, code, longitude, latitude))
        else:
            raise FeatureProblem(
                _(
                    "its geometry is a %(kind)s; a district's boundary is a Polygon or MultiPolygon, a polling "
                    "station's position a Point."
                )
                % {"kind": str(kind)[:40]}
            )
    except FeatureProblem as problem:
        raise FeatureProblem(
            _("%(feature)s: %(problem)s") % {"feature": _named(number, code), "problem": problem}
        ) from None


def _note_repeats(found: BoundaryFile, features: Sequence[AreaFeature | PointFeature], message: str) -> set[int]:
    """Note each feature whose code an earlier feature already has, naming that earlier feature in ``message``;
    return their numbers."""
    first: dict[str, int] = {}
    repeats: set[int] = set()
    for feature in features:
        earlier = first.setdefault(feature.code, feature.number)
        if earlier != feature.number:
            named = _named(feature.number, feature.code)
            found.note(feature.number, message % {"feature": named, "earlier": earlier})
            repeats.add(feature.number)
    return repeats


def _refuse_repeated_codes(found: BoundaryFile) -> None:
    """A second outline for one district code, or a second position for one station code, is a problem."""
    area_repeats = _note_repeats(
        found, found.areas, _("%(feature)s: feature %(earlier)d already gives this district's boundary.")
    )
    point_repeats = _note_repeats(
        found, found.points, _("%(feature)s: feature %(earlier)d already gives this polling station's position.")
    )
    found.areas = [area for area in found.areas if area.number not in area_repeats]
    found.points = [point for point in found.points if point.number not in point_repeats]


def _collection(data: bytes, found: BoundaryFile) -> list[Any] | None:
    """The features of a FeatureCollection, or None with the file's problem noted."""
    limit = max_boundary_file_size()
    if len(data) > limit:
        found.note(
            0,
            _("The file is larger than %(limit)s, the most a boundary file may be. Simplify the boundaries first.")
            % {"limit": filesizeformat(limit)},
        )
        return None
    if not data.strip():
        found.note(0, _("The file is empty."))
        return None
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        found.note(0, _("The file is not UTF-8 text, as GeoJSON must be."))
        return None
    except json.JSONDecodeError as error:
        found.note(
            0,
            _("The file is not valid JSON: %(error)s (line %(line)d, column %(column)d).")
            % {"error": error.msg, "line": error.lineno, "column": error.colno},
        )
        return None
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, Mapping) else type(document).__name__
        found.note(
            0, _("The file is not a GeoJSON FeatureCollection (its type is “%(type)s”).") % {"type": str(kind)[:40]}
        )
        return None
    if "crs" in document and _crs_name(document["crs"]).strip().lower() not in WGS84_NAMES:
        found.note(
            0,
            _(
                "The file names the coordinate system “%(crs)s”. VoteTracker reads WGS84 longitude and latitude only "
                "(EPSG:4326, CRS84): export the file again in WGS84."
            )
            % {"crs": _crs_name(document["crs"])},
        )
        return None
    features = document.get("features")
    if not isinstance(features, list):
        found.note(0, _("The file's “features” is not a list."))
        return None
    if not features:
        found.note(0, _("The file holds no features."))
        return None
    return features


def read_boundary_file(data: bytes, *, code_property: str = "") -> BoundaryFile:
    """The features of a boundary file and every problem it has; never raises for what a file holds."""
    found = BoundaryFile(sha256=hashlib.sha256(data).hexdigest())
    features = _collection(data, found)
    if features is None:
        return found
    for number, feature in enumerate(features, start=1):
        try:
            _read_feature(feature, number, code_property.strip(), found)
        except FeatureProblem as problem:
            found.note(number, str(problem))
    _refuse_repeated_codes(found)
    return found
