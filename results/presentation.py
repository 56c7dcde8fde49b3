"""Turns a snapshot into what the templates show: names in the reader's language, shares, bars and the map.

Pure functions of the snapshot: no database, so a cached page and a broadcast fragment cost no query.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from elections.names import local_name_of
from results.snapshot import (
    Snapshot,
    SnapshotCandidate,
    SnapshotContest,
    SnapshotParty,
    SnapshotStation,
    SnapshotTally,
)

NO_LEADER_COLOUR = "#9aa3ad"
# Independents have no party colour; these stay apart from the grey of "no leader" and from each other.
INDEPENDENT_COLOURS = ("#6a3d9a", "#8c564b", "#17becf", "#bcbd22", "#e377c2", "#393b79")
MAP_WIDTH = 400
MAP_HEIGHT = 300
MAP_MARGIN = 16


def local_name(item: Mapping[str, Any]) -> str:
    """The Arabic name when the page is in Arabic and one is given, else the default name."""
    return local_name_of(item)


# FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE: a name's direction controls (an override, U+202E) end with it.
FSI, PDI = "\u2068", "\u2069"


def isolated(name: str) -> str:
    """A user-provided name set apart from the text around it, for text where no ``<bdi>`` tag may go (an SVG
    ``<title>``, the page's title, an attribute)."""
    return f"{FSI}{name}{PDI}"


def percent(ratio: float | None) -> str:
    """A share as "54.6%", or a dash when there is nothing to divide by."""
    return "–" if ratio is None else f"{ratio * 100:.1f}%"


def _local_time(snapshot: Snapshot) -> dt.datetime:
    moment = dt.datetime.fromisoformat(snapshot["updated_at"])
    return moment.astimezone(zoneinfo.ZoneInfo(snapshot["election"]["time_zone"]))


class Lookup:
    """Indexes of a snapshot's stations, districts, parties and contests by id."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.slug: str = snapshot["election"]["slug"]
        self.stations = {s["id"]: s for s in snapshot["stations"]}
        self.districts = {d["id"]: d for d in snapshot["districts"]}
        self.parties = {p["id"]: p for p in snapshot["parties"]}
        self.contests = {c["slug"]: c for c in snapshot["contests"]}
        self._station_urls: dict[int, str] = {}

    def station_url(self, station_id: int) -> str:
        # Each contest's map links every station; reversing is a large part of rendering a broadcast.
        url = self._station_urls.get(station_id)
        if url is None:
            url = reverse("results:station", args=[self.slug, self.stations[station_id]["code"]])
            self._station_urls[station_id] = url
        return url

    def district_url(self, district_id: int) -> str:
        return reverse("results:district", args=[self.slug, self.districts[district_id]["code"]])

    def contest_url(self, contest: SnapshotContest) -> str:
        return reverse("results:contest", args=[self.slug, contest["slug"]])

    def party_of(self, candidate: SnapshotCandidate) -> SnapshotParty | None:
        party_id = candidate["party_id"]
        return self.parties.get(party_id) if party_id is not None else None

    def candidate_colour(self, candidate: SnapshotCandidate) -> str:
        party = self.party_of(candidate)
        if party:
            return party["colour"]
        return INDEPENDENT_COLOURS[(candidate["ballot_order"] - 1) % len(INDEPENDENT_COLOURS)]

    def party_label(self, candidate: SnapshotCandidate) -> str:
        party = self.party_of(candidate)
        return local_name(party) if party else _("Independent")


def election_header(snapshot: Snapshot) -> dict[str, Any]:
    """The headline facts of the election: name, badge, stations reporting, turnout and the update time."""
    election = snapshot["election"]
    totals = snapshot["totals"]
    return {
        "slug": election["slug"],
        "name": local_name(election),
        "official": election["results_visibility"] == "official",
        "version": snapshot["version"],
        "updated_at": _local_time(snapshot),
        "time_zone": election["time_zone"],
        "stations_reporting": totals["stations_reporting"],
        "stations_total": totals["stations_total"],
        "reporting_percent": percent(
            totals["stations_reporting"] / totals["stations_total"] if totals["stations_total"] else None
        ),
        "registered_voters": totals["registered_voters"],
        "turnout_voters": totals["turnout_voters"],
        "turnout_percent": percent(totals["turnout"]),
        "url": reverse("results:overview", args=[election["slug"]]),
    }


def tally_view(
    lookup: Lookup, contest: SnapshotContest, tally: SnapshotTally, *, single_station: bool = False
) -> dict[str, Any]:
    """One tally (a contest over the election, a district or ``single_station``) as rows with names, shares and bar
    lengths."""
    by_id = {c["id"]: c for c in contest["candidates"]}
    top = max((row["votes"] for row in tally["candidates"]), default=0)
    rows = []
    for row in sorted(tally["candidates"], key=lambda r: (-r["votes"], by_id[r["id"]]["ballot_order"])):
        candidate = by_id[row["id"]]
        rows.append(
            {
                "id": row["id"],
                "name": local_name(candidate),
                "party": lookup.party_label(candidate),
                "colour": lookup.candidate_colour(candidate),
                "votes": row["votes"],
                "share": percent(row["share"]),
                "bar": round(100 * row["votes"] / top, 1) if top else 0,
                "leading": row["leading"],
            }
        )
    return {
        "rows": rows,
        "valid_votes": tally["valid_votes"],
        "blank": tally["blank"],
        "invalid": tally["invalid"],
        "ballots_cast": tally["ballots_cast"],
        "registered_voters": tally["registered_voters"],
        "turnout": percent(tally["turnout"]),
        "stations_reporting": tally["stations_reporting"],
        "stations_total": tally["stations_total"],
        "leading_names": [r["name"] for r in rows if r["leading"]],
        "single_station": single_station,
    }


def contest_card(lookup: Lookup, contest: SnapshotContest) -> dict[str, Any]:
    """A contest's summary: its tally over its whole scope and the quarantined stations listed apart."""
    scope = lookup.districts.get(contest["district_id"]) if contest["district_id"] else None
    quarantined = [
        {
            "code": lookup.stations[row["station_id"]]["code"],
            "name": local_name(lookup.stations[row["station_id"]]),
            "url": lookup.station_url(row["station_id"]),
            "reason": row["quarantine_reason"],
        }
        for row in contest["stations"]
        if row["quarantined"]
    ]
    return {
        "part": f"contest-{contest['slug']}",
        "slug": contest["slug"],
        "name": local_name(contest),
        "seats": contest["seats"],
        "scope": local_name(scope) if scope else _("Whole election"),
        "url": lookup.contest_url(contest),
        "tally": tally_view(lookup, contest, contest["totals"]),
        "quarantined": quarantined,
    }


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
    placed = [
        (s, position)
        for s in lookup.snapshot["stations"]
        if (position := _position(s)) is not None
        and (contest["district_id"] is None or is_inside(lookup, s["district_id"], contest["district_id"]))
    ]
    dots = []
    legend: dict[str, dict[str, str]] = {}
    if placed:
        west, north, squeeze, scale, width = _projection([position for _station, position in placed])
        offset_x = (MAP_WIDTH - width * scale) / 2
        for station, (latitude, longitude) in placed:
            row = rows.get(station["id"])
            leader = by_id.get(row["leading"][0]) if row and row["leading"] else None
            if row is None:
                status, colour, label = "waiting", "none", _("not reported yet")
            elif row["quarantined"]:
                status, colour, label = "quarantined", NO_LEADER_COLOUR, _("quarantined")
            elif leader is None:
                status, colour, label = "tied", NO_LEADER_COLOUR, _("no leader")
            else:
                status, colour, label = "reported", lookup.candidate_colour(leader), local_name(leader)
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
    }


def is_inside(lookup: Lookup, district_id: int, ancestor_id: int) -> bool:
    """Whether ``district_id`` is ``ancestor_id`` or lies inside it."""
    seen: set[int] = set()
    current: int | None = district_id
    while current is not None and current not in seen:
        if current == ancestor_id:
            return True
        seen.add(current)
        current = lookup.districts[current]["parent_id"] if current in lookup.districts else None
    return False


def district_rows(lookup: Lookup, contest: SnapshotContest) -> list[dict[str, Any]]:
    """Each district of the contest with its leaders, stations reporting and turnout."""
    rows = []
    for tally in contest["districts"]:
        view = tally_view(lookup, contest, tally)
        district = lookup.districts[tally["district_id"]]
        url = lookup.district_url(district["id"])
        rows.append({"code": district["code"], "name": local_name(district), "url": url, **view})
    return rows


def station_rows(lookup: Lookup, contest: SnapshotContest, district_id: int | None = None) -> list[dict[str, Any]]:
    """Every station of the contest (or of one district), reported or not, with its numbers and leader."""
    by_id = {c["id"]: c for c in contest["candidates"]}
    reported = {row["station_id"]: row for row in contest["stations"]}
    rows = []
    for station in lookup.snapshot["stations"]:
        if contest["district_id"] is not None and not is_inside(lookup, station["district_id"], contest["district_id"]):
            continue
        if district_id is not None and not is_inside(lookup, station["district_id"], district_id):
            continue
        row = reported.get(station["id"])
        rows.append(
            {
                "code": station["code"],
                "name": local_name(station),
                "url": lookup.station_url(station["id"]),
                "registered_voters": station["registered_voters"],
                "reported": row is not None,
                "quarantined": bool(row and row["quarantined"]),
                "ballots_cast": row["ballots_cast"] if row else None,
                "votes": row["votes"] if row else [],
                "leader": local_name(by_id[row["leading"][0]]) if row and row["leading"] else "",
            }
        )
    return rows


def candidate_headers(contest: SnapshotContest) -> list[str]:
    return [local_name(c) for c in contest["candidates"]]
