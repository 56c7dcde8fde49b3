"""The map of a contest's polling stations: an SVG of dots, each coloured by the station's leading candidate (a
measure's choice with more votes), drawn from the snapshot alone like every other part of the results pages."""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _

from results.contest_views import station_top
from results.presentation import NO_LEADER_COLOUR, Lookup, isolated, local_name, shown_name
from results.snapshot import SnapshotContest, SnapshotStation

MAP_WIDTH = 400
MAP_HEIGHT = 300
MAP_MARGIN = 16


def _projection(points: list[tuple[float, float]]) -> tuple[float, float, float, float, float]:
    """Bounds and scale of an equirectangular projection (longitude shrunk by the cosine of the mean latitude)."""
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    squeeze = math.cos(math.radians(sum(lats) / len(lats)))
    width = max((max(lons) - min(lons)) * squeeze, 1e-6)
    height = max(max(lats) - min(lats), 1e-6)
    scale = min((MAP_WIDTH - 2 * MAP_MARGIN) / width, (MAP_HEIGHT - 2 * MAP_MARGIN) / height)
    return min(lons), max(lats), squeeze, scale, width


def _position(station: SnapshotStation) -> tuple[float, float] | None:
    """A station's latitude and longitude (the database holds both or neither)."""
    latitude, longitude = station["latitude"], station["longitude"]
    return (latitude, longitude) if latitude is not None and longitude is not None else None


def station_map(lookup: Lookup, contest: SnapshotContest) -> dict[str, Any]:
    """The contest's stations on an SVG map, each coloured by its leader's party; unreported ones hollow."""
    by_id = {c["id"]: c for c in contest["candidates"]}
    rows = {row["station_id"]: row for row in contest["stations"]}
    voting = set(contest["station_ids"])
    placed = [
        (s, position)
        for s in lookup.snapshot["stations"]
        if (position := _position(s)) is not None and s["id"] in voting
    ]
    dots = []
    legend: dict[str, dict[str, str]] = {}
    if placed:
        west, north, squeeze, scale, width = _projection([position for _station, position in placed])
        offset_x = (MAP_WIDTH - width * scale) / 2
        for station, (latitude, longitude) in placed:
            row = rows.get(station["id"])
            top = station_top(row, by_id) if row else None
            leader = top.candidate if top else None
            if row is None:
                status, colour, label = "waiting", "none", _("not reported yet")
            elif row["quarantined"]:
                status, colour, label = "quarantined", NO_LEADER_COLOUR, _("quarantined")
            elif top and top.tied:
                names = ", ".join(isolated(name) for name in top.tied)
                status, colour, label = "tied", NO_LEADER_COLOUR, _("tied: %(names)s") % {"names": names}
            elif leader is None:
                status, colour, label = "tied", NO_LEADER_COLOUR, _("no leader")
            else:
                status, colour, label = "reported", lookup.candidate_colour(leader), shown_name(leader)[0]
                legend[label] = {"name": label, "colour": colour}
            dots.append(
                {
                    "code": station["code"],
                    "x": round(offset_x + (longitude - west) * squeeze * scale, 1),
                    "y": round(MAP_MARGIN + (north - latitude) * scale, 1),
                    "colour": colour,
                    "status": status,
                    "title": f"{station['code']} {isolated(local_name(station))}: {isolated(label)}",
                    "url": lookup.station_url(station["id"]),
                }
            )
    return {
        "part": f"map-{contest['slug']}",
        "width": MAP_WIDTH,
        "height": MAP_HEIGHT,
        "dots": dots,
        "legend": sorted(legend.values(), key=lambda item: item["name"]),
        "name": local_name(contest),
        "measure": contest["kind"] == "measure",
    }
