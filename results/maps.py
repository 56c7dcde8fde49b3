"""The maps of the results pages, drawn on the server as SVG from the snapshot and the districts' outlines.

A contest's map (overview and contest page) shows the districts one level below the contest's scope, each a link to
its district page, coloured by who leads there, shaded by the lead's margin, grey when tied and hatched before any
result. A district page's map shows that district's own districts the same way, or its polling stations when it has
none. Where no outline was imported the map shows the stations instead, as markers: the stations of one site make
one marker with their count, and markers that would overlap at the drawn scale are nudged apart or merged
(``map_markers``). Every area and marker is a link with a name that says the result (``map_labels``).

Pure functions of the snapshot and the outlines (``map_shapes``), which are read once per boundary import: a
broadcast renders a map without a query. Areas draw their outline by reference (``<use>``), so a map sent to live
viewers carries no coordinates; each page includes the outlines its maps use once (``shapes_of_maps``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from results.map_labels import area_shown, shade_legend, standing_of
from results.map_markers import Place, group_sites
from results.map_shapes import DistrictShape, ElectionShapes, Projection, get_election_shapes
from results.map_sites import marker_dot, placed_markers, shown_fields
from results.presentation import Lookup, isolated, local_name
from results.snapshot import SnapshotContest, SnapshotStation

# The width a map is usually drawn at, in pixels: markers are sized and kept apart at this scale.
NOMINAL_WIDTH = 400
PADDING = 12
# A map is at most as tall as it is wide and at least this share of its width.
MIN_TALL, MAX_TALL = 0.55, 1.0
# A map of stations only frames them with this much room around them, in degrees.
STATIONS_MARGIN = 0.002
# Areas are named on the map when there are at most this many, in letters this many pixels high.
MAX_LABELS = 12
LABEL_SIZE = 12


def _children(lookup: Lookup) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for district in lookup.snapshot["districts"]:
        children[district["parent_id"]].append(district["id"])
    return children


def _inside(lookup: Lookup, district_id: int, ancestor_ids: set[int]) -> bool:
    seen: set[int] = set()
    current: int | None = district_id
    while current is not None and current not in seen:
        if current in ancestor_ids:
            return True
        seen.add(current)
        current = lookup.districts[current]["parent_id"] if current in lookup.districts else None
    return False


def _area_level(lookup: Lookup, counted: set[int], scope_id: int | None) -> tuple[list[int], int | None]:
    """The districts a map of ``scope_id`` (None: the whole election) shows as areas, among those the contest counts
    in, and the district drawn around them: a district's own districts; for the whole election the top ones, or,
    when there is only one, the ones inside it."""
    children = _children(lookup)
    if scope_id is not None:
        return [d for d in children[scope_id] if d in counted], scope_id
    level, around = [d for d in children[None] if d in counted], None
    while len(level) == 1:
        inner = [d for d in children[level[0]] if d in counted]
        if not inner:
            break
        around, level = level[0], inner
    return level, around


def _frame(box: tuple[float, float, float, float]) -> tuple[tuple[float, float, float, float], float]:
    """The view box around ``box`` (x0, y0, x1, y1) with room to spare and a height between ``MIN_TALL`` and
    ``MAX_TALL`` of the width, and how many units make a pixel at ``NOMINAL_WIDTH``."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    if width <= 0 and height <= 0:
        width = height = 1000.0
    width, height = max(width, height / MAX_TALL), max(height, width * MIN_TALL)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    unit = width / (NOMINAL_WIDTH - 2 * PADDING)
    pad = PADDING * unit
    return (cx - width / 2 - pad, cy - height / 2 - pad, cx + width / 2 + pad, cy + height / 2 + pad), unit


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _area_labels(lookup: Lookup, shaped: list[int], shapes: ElectionShapes, unit: float) -> list[dict[str, Any]]:
    """District names written on a map of a few areas, where the name fits across its area (a rough measure: an
    average letter is about 0.55 of the text's size)."""
    if len(shaped) > MAX_LABELS:
        return []
    labels = []
    for district_id in shaped:
        shape = shapes.districts[district_id]
        name = local_name(lookup.districts[district_id])
        if len(name) * 0.55 * LABEL_SIZE * unit > 0.8 * (shape.box[2] - shape.box[0]):
            continue
        labels.append({"x": shape.middle[0], "y": shape.middle[1], "text": name})
    return labels


def _area_dot(
    lookup: Lookup, contest: SnapshotContest, district_id: int, shape: DistrictShape, part: str
) -> dict[str, Any]:
    """A district as the template draws it: its link, its outline by reference, and its result."""
    tally = next(t for t in contest["districts"] if t["district_id"] == district_id)
    district = lookup.districts[district_id]
    standing = standing_of(contest["candidates"], [row["votes"] for row in tally["candidates"]])
    shown = area_shown(
        lookup,
        isolated(local_name(district)),
        standing,
        tally["stations_reporting"],
        tally["stations_total"],
        hatch=f"url(#{part}-hatch)",
        tie=f"url(#{part}-tie)",
    )
    return {
        "kind": "area",
        "code": f"district:{district['code']}",
        "url": lookup.district_url(district_id),
        "shape": shape.shape_id,
        "x": shape.middle[0],
        "y": shape.middle[1],
        **shown_fields(shown),
    }


def _marked(
    lookup: Lookup,
    station: SnapshotStation,
    *,
    level: list[int],
    shaped: list[int],
    scope_id: int | None,
    around: int | None,
) -> bool:
    """Whether a map shows ``station`` as a marker: on a map of areas, when its area has no outline or it lies in
    the district around the areas but in none of them; on a map without areas, when it lies in the map's scope."""
    if not shaped:
        return scope_id is None or _inside(lookup, station["district_id"], {scope_id})
    unshaped = set(level) - set(shaped)
    return station["district_id"] == around or bool(unshaped and _inside(lookup, station["district_id"], unshaped))


def _stations_projection(stations: list[SnapshotStation]) -> Projection:
    lons = [float(s["longitude"] or 0) for s in stations]
    lats = [float(s["latitude"] or 0) for s in stations]
    margin = STATIONS_MARGIN
    return Projection.around(min(lons) - margin, min(lats) - margin, max(lons) + margin, max(lats) + margin)


def build_map(
    lookup: Lookup, contest: SnapshotContest, *, scope_id: int | None, part: str, live: bool
) -> dict[str, Any]:
    """The map of ``contest`` over ``scope_id`` (a district, or None for the contest's whole scope), as
    ``_map.html`` draws it. ``dots`` holds every area and marker (what live frames update one by one); everything
    else is the map's outline, sent again only when it changes."""
    shapes: ElectionShapes = get_election_shapes(lookup.snapshot)
    counted = {tally["district_id"] for tally in contest["districts"]}
    level, around = _area_level(lookup, counted, scope_id)
    shaped = [d for d in level if d in shapes.districts]
    voting = set(contest["station_ids"])
    stations = [
        s
        for s in lookup.snapshot["stations"]
        if s["id"] in voting
        and s["latitude"] is not None
        and s["longitude"] is not None
        and _marked(lookup, s, level=level, shaped=shaped, scope_id=scope_id, around=around)
    ]
    outline = shapes.districts.get(around) if around is not None else None
    projection = shapes.projection or (_stations_projection(stations) if stations else None)
    base = {
        "part": part,
        "live": live,
        "boundaries": shapes.stamp,
        "name": local_name(contest),
        "measure": contest["kind"] == "measure",
        "dots": [],
        "places": [],
    }
    if projection is None or not (shaped or stations):
        return base
    positions = {s["id"]: projection.project(float(s["longitude"] or 0), float(s["latitude"] or 0)) for s in stations}
    boxes = [shapes.districts[d].box for d in shaped]
    if outline is not None:
        boxes.append(outline.box)
    boxes += [(x, y, x, y) for x, y in positions.values()]
    view, unit = _frame(_union(boxes))
    sites = group_sites([(s["id"], float(s["longitude"] or 0), float(s["latitude"] or 0)) for s in stations])
    places = [Place(tuple(ids), *positions[ids[0]]) for ids in sites]
    markers = placed_markers(places, unit)
    dots = [_area_dot(lookup, contest, d, shapes.districts[d], part) for d in shaped]
    listed = []
    rows = {row["station_id"]: row for row in contest["stations"]}
    for index, marker in enumerate(markers, start=len(dots)):
        dot, site = marker_dot(lookup, contest, rows, marker, index=index, part=part, unit=unit)
        dots.append(dot)
        if site is not None:
            listed.append(site)
    if markers:
        # Markers nudged outwards may reach past the frame: it grows to hold them, with the same room around.
        pad = PADDING * unit
        view = _union([view, *((m.x - m.r - pad, m.y - m.r - pad, m.x + m.r + pad, m.y + m.r + pad) for m in markers)])
    leaders = {dot["colour"]: dot for dot in dots if dot["status"].startswith("lead") or dot["status"] == "reported"}
    return {
        **base,
        "view": [round(view[0]), round(view[1]), round(view[2] - view[0]), round(view[3] - view[1])],
        "unit": unit,
        "hatch": {"size": round(6 * unit, 2), "width": round(1.5 * unit, 2)},
        "outline": outline.shape_id if outline is not None else "",
        "shapes": [shapes.districts[d].shape_id for d in shaped] + ([outline.shape_id] if outline else []),
        "dots": dots,
        "places": listed,
        "labels": _area_labels(lookup, shaped, shapes, unit),
        "label_size": round(LABEL_SIZE * unit, 1),
        "has_areas": bool(shaped),
        "has_markers": bool(markers),
        "legend": _leader_legend(lookup, contest, set(leaders)),
        "shades": shade_legend() if shaped else [],
    }


def _leader_legend(lookup: Lookup, contest: SnapshotContest, colours: set[str]) -> list[dict[str, str]]:
    """The candidates whose colour leads somewhere on the map, by name."""
    items: dict[str, dict[str, str]] = {}
    for candidate in contest["candidates"]:
        colour = lookup.candidate_colour(candidate)
        if colour in colours:
            name = local_name(candidate) if not candidate["is_write_in"] else _("Write-in")
            items.setdefault(colour, {"name": name, "colour": colour})
    return sorted(items.values(), key=lambda item: item["name"])


def station_map(lookup: Lookup, contest: SnapshotContest) -> dict[str, Any]:
    """The map of a contest on the overview and its own page: a live part of the page."""
    return build_map(lookup, contest, scope_id=contest["district_id"], part=f"map-{contest['slug']}", live=True)


def district_map(lookup: Lookup, contest: SnapshotContest, district_id: int) -> dict[str, Any]:
    """The map of ``contest`` on the page of district ``district_id``: its districts, or its stations."""
    return build_map(lookup, contest, scope_id=district_id, part=f"district-map-{contest['slug']}", live=False)


def shapes_of_maps(lookup: Lookup, maps: list[dict[str, Any]]) -> list[DistrictShape]:
    """The outlines a page's maps refer to, each once, for the page's block of shapes."""
    shapes = get_election_shapes(lookup.snapshot)
    wanted = {shape_id for item in maps for shape_id in item.get("shapes", [])}
    return [shape for shape in shapes.districts.values() if shape.shape_id in wanted]
