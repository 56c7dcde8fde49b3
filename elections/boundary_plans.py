"""What a boundary file (``boundary_files``) would do to an election, found without writing anything: each feature
matched by code to a district or polling station of the election (an unknown code is a problem), each outline
simplified once, and compared with what is stored, so that the preview and the import agree and loading the same
file again changes nothing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from elections.boundary_files import AreaFeature, BoundaryFile
from elections.geometry import (
    BBox,
    MultiPolygon,
    bbox_of,
    count_positions,
    multipolygon_positions,
    simplify_shape,
    union_bbox,
)
from elections.models import District, DistrictBoundary, Election, PollingStation

# Douglas–Peucker's tolerance, as a share of the larger side of the box around all the file's outlines: a map of the
# whole file drawn 400 pixels wide loses nothing visible, nor does a map of one district in fifty.
SIMPLIFY_RATIO = 1e-4
# The most positions an import keeps in all: a file past it is simplified harder (the tolerance doubled) until it fits,
# so the maps stay light whatever detail the file carries.
MAX_KEPT_POSITIONS = 200_000
STATION_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class PlannedBoundary:
    """A district's outline as it will be stored: simplified coordinates, their box, and their digest."""

    number: int
    district: District
    coordinates: list[list[list[list[float]]]]
    bbox: BBox
    positions: int
    source_positions: int
    digest: str


@dataclass(frozen=True)
class PlannedPosition:
    """A polling station's position from the file, as the station will store it."""

    number: int
    station: PollingStation
    latitude: Decimal
    longitude: Decimal


@dataclass
class BoundaryPlan:
    """What loading a boundary file into ``election`` does: boundaries added, changed or left as they are, stations
    moved or left, and every problem that keeps the file from loading."""

    election: Election
    sha256: str
    problems: list[str] = field(default_factory=list)
    # The problems with their feature's number (0: the file's own), until they are listed in the file's order.
    numbered_problems: list[tuple[int, str]] = field(default_factory=list)
    new: list[PlannedBoundary] = field(default_factory=list)
    changed: list[PlannedBoundary] = field(default_factory=list)
    unchanged: list[PlannedBoundary] = field(default_factory=list)
    moved: list[PlannedPosition] = field(default_factory=list)
    unmoved: list[PlannedPosition] = field(default_factory=list)
    tolerance: float = 0.0

    @property
    def changes_something(self) -> bool:
        return bool(self.new or self.changed or self.moved)

    @property
    def counts(self) -> dict[str, int]:
        boundaries = [*self.new, *self.changed, *self.unchanged]
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "stations_moved": len(self.moved),
            "stations_unchanged": len(self.unmoved),
            "source_positions": sum(b.source_positions for b in boundaries),
            "positions": sum(b.positions for b in boundaries),
        }


def shape_digest(coordinates: list[list[list[list[float]]]]) -> str:
    """SHA-256 of a shape's coordinates in compact JSON: equal shapes, equal digests."""
    return hashlib.sha256(json.dumps(coordinates, separators=(",", ":")).encode()).hexdigest()


def _as_lists(shape: MultiPolygon) -> list[list[list[list[float]]]]:
    return [[[[x, y] for x, y in ring] for ring in polygon] for polygon in shape]


def simplify_areas(areas: list[AreaFeature]) -> tuple[dict[int, MultiPolygon], float]:
    """Each area's outline simplified (by feature number) with one tolerance for the whole file, so that neighbours
    lose the same detail along the border they share; and that tolerance."""
    extent = union_bbox(bbox_of(multipolygon_positions(area.shape)) for area in areas)
    if extent is None:
        return {}, 0.0
    tolerance = SIMPLIFY_RATIO * max(extent[2] - extent[0], extent[3] - extent[1])
    while True:
        simplified = {area.number: simplify_shape(area.shape, tolerance) for area in areas}
        if sum(count_positions(shape) for shape in simplified.values()) <= MAX_KEPT_POSITIONS or tolerance <= 0:
            return simplified, tolerance
        tolerance *= 2


def _unknown(feature_number: int, code: str, what: str, election: Election) -> str:
    message = (
        _("Feature %(number)d (code “%(code)s”): no district of “%(election)s” has this code.")
        if what == "district"
        else _("Feature %(number)d (code “%(code)s”): no polling station of “%(election)s” has this code.")
    )
    return message % {"number": feature_number, "code": code, "election": election}


def _plan_areas(plan: BoundaryPlan, boundary_file: BoundaryFile) -> None:
    codes = [area.code for area in boundary_file.areas]
    districts = {d.code: d for d in District.objects.filter(election=plan.election, code__in=codes)}
    known = []
    for area in boundary_file.areas:
        if area.code in districts:
            known.append(area)
        else:
            plan.numbered_problems.append((area.number, _unknown(area.number, area.code, "district", plan.election)))
    stored = dict(
        DistrictBoundary.objects.filter(district__in=list(districts.values())).values_list("district_id", "digest")
    )
    simplified, plan.tolerance = simplify_areas(known)
    for area in known:
        district = districts[area.code]
        coordinates = _as_lists(simplified[area.number])
        planned = PlannedBoundary(
            number=area.number,
            district=district,
            coordinates=coordinates,
            bbox=bbox_of(multipolygon_positions(simplified[area.number])),
            positions=count_positions(simplified[area.number]),
            source_positions=count_positions(area.shape),
            digest=shape_digest(coordinates),
        )
        if district.pk not in stored:
            plan.new.append(planned)
        elif stored[district.pk] != planned.digest:
            plan.changed.append(planned)
        else:
            plan.unchanged.append(planned)


def _plan_points(plan: BoundaryPlan, boundary_file: BoundaryFile) -> None:
    codes = [point.code for point in boundary_file.points]
    stations = {s.code: s for s in PollingStation.objects.filter(election=plan.election, code__in=codes)}
    for point in boundary_file.points:
        station = stations.get(point.code)
        if station is None:
            plan.numbered_problems.append((point.number, _unknown(point.number, point.code, "station", plan.election)))
            continue
        planned = PlannedPosition(
            number=point.number,
            station=station,
            latitude=Decimal(str(point.latitude)).quantize(STATION_PLACES),
            longitude=Decimal(str(point.longitude)).quantize(STATION_PLACES),
        )
        if (station.latitude, station.longitude) == (planned.latitude, planned.longitude):
            plan.unmoved.append(planned)
        else:
            plan.moved.append(planned)


def plan_boundary_import(*, election: Election, boundary_file: BoundaryFile) -> BoundaryPlan:
    """What loading ``boundary_file`` into ``election`` would do, and every problem of the file (its own, and codes
    the election does not have). Reads only."""
    plan = BoundaryPlan(election=election, sha256=boundary_file.sha256)
    plan.numbered_problems = list(boundary_file.numbered_problems)
    _plan_areas(plan, boundary_file)
    _plan_points(plan, boundary_file)
    plan.problems = [problem for _number, problem in sorted(plan.numbered_problems, key=lambda item: item[0])]
    if not plan.problems and not boundary_file.areas and not boundary_file.points:
        plan.problems.append(_("The file holds no district boundary and no polling station position."))
    return plan
