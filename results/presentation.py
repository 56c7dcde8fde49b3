"""Turns a snapshot into what the templates show: names in the reader's language, shares, bars and the map.

Pure functions of the snapshot: no database, so a cached page and a broadcast fragment cost no query.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from elections.names import local_name_of, names_write_in
from results.colours import contest_colours, entrants_of
from results.snapshot import (
    Snapshot,
    SnapshotCandidate,
    SnapshotContest,
    SnapshotParty,
)
from results.standings import counted_station_ids

NO_LEADER_COLOUR = "#9aa3ad"
# A measure's "Yes" and "No": blue and orange, told apart by people who do not see red and green.
MEASURE_COLOURS = ("#2166ac", "#b35806")
WRITE_IN_COLOUR = "#5c6675"


def local_name(item: Mapping[str, Any]) -> str:
    """The Arabic name when the page is in Arabic and one is given, else the default name."""
    return local_name_of(item)


# FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE: a name's direction controls (an override, U+202E) end with it.
FSI, PDI = "\u2068", "\u2069"


def isolated(name: str) -> str:
    """A user-provided name set apart from the text around it, for text where no ``<bdi>`` tag may go (an SVG
    ``<title>``, the page's title, an attribute)."""
    return f"{FSI}{name}{PDI}"


def grouped_number(value: Any) -> Any:
    """A whole or decimal figure with the active language's separators (102,559 / 102٬559); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    return number_format(value, force_grouping=True)


def percent(ratio: float | None) -> str:
    """A share as "54.6%" ("54٫6٪" in Arabic), or a dash when there is nothing to divide by (or the divisor is
    unknown)."""
    if ratio is None:
        return "—"
    return _("%(value)s%%") % {"value": number_format(round(ratio * 100, 1), decimal_pos=1, force_grouping=True)}


def points(ratio: float | None) -> str:
    """A difference of shares in percentage points, one decimal, as the reader's language writes numbers ("3.4",
    "3٫4"); a dash when there is nothing to divide by."""
    if ratio is None:
        return "—"
    return number_format(round(ratio * 100, 1), decimal_pos=1, force_grouping=True)


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
        self.vote_types = [local_name(t) for t in snapshot["vote_types"]]
        # A measure's choices are coloured as choices, not as independent candidates.
        self.measure_choices = {
            c["id"]: c["ballot_order"]
            for contest in snapshot["contests"]
            if contest["kind"] == "measure"
            for c in contest["candidates"]
        }
        self._station_urls: dict[int, str] = {}
        self._contest_of = {c["id"]: contest for contest in snapshot["contests"] for c in contest["candidates"]}
        self._party_colours = {p["id"]: p["colour"] for p in snapshot["parties"]}
        self._colours: dict[int, Mapping[int, str]] = {}
        self._district_stations: dict[int, dict[int, list[int]]] = {}
        self._counted: dict[int, frozenset[int]] = {}

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

    def district_station_ids(self, contest: SnapshotContest) -> Mapping[int, list[int]]:
        """The contest's stations in each district, those of the districts inside it included (computed once per
        contest: a contest page lists every district)."""
        found = self._district_stations.get(contest["id"])
        if found is None:
            found = self._district_stations[contest["id"]] = {}
            for pk in contest["station_ids"]:
                seen: set[int] = set()
                current: int | None = self.stations[pk]["district_id"]
                while current is not None and current not in seen:
                    seen.add(current)
                    found.setdefault(current, []).append(pk)
                    current = self.districts[current]["parent_id"] if current in self.districts else None
        return found

    def counted_station_ids(self, contest: SnapshotContest) -> Set[int]:
        """The stations reporting for the contest (``standings.counted_station_ids``), computed once per contest."""
        found = self._counted.get(contest["id"])
        if found is None:
            found = self._counted[contest["id"]] = frozenset(counted_station_ids(contest))
        return found

    def party_of(self, candidate: SnapshotCandidate) -> SnapshotParty | None:
        party_id = candidate["party_id"]
        return self.parties.get(party_id) if party_id is not None else None

    def candidate_colour(self, candidate: SnapshotCandidate) -> str:
        """The candidate's own colour in their contest (``results.colours``): their party's colour or a shade of it,
        a colour apart for an independent or a write-in; a measure's choices are blue and orange. The same on bars,
        tables and maps, and for the whole count (it never depends on votes)."""
        if candidate["id"] in self.measure_choices:
            return MEASURE_COLOURS[(candidate["ballot_order"] - 1) % len(MEASURE_COLOURS)]
        contest = self._contest_of.get(candidate["id"])
        key = contest["id"] if contest else -candidate["id"]
        colours = self._colours.get(key)
        if colours is None:
            entrants = entrants_of(contest["candidates"] if contest else [candidate], self._party_colours)
            colours = self._colours[key] = contest_colours(entrants, write_in_colour=WRITE_IN_COLOUR)
        return colours[candidate["id"]]

    def party_label(self, candidate: SnapshotCandidate) -> str:
        party = self.party_of(candidate)
        if party:
            return local_name(party)
        return "" if candidate["is_write_in"] or candidate["id"] in self.measure_choices else _("Independent")


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


def shown_name(candidate: SnapshotCandidate) -> tuple[str, bool]:
    """A candidate's name as the page shows it, and whether it needs a "Write-in" mark beside it (a write-in line
    named only "Write-in" is called that in the reader's language instead)."""
    name = local_name(candidate)
    if candidate["is_write_in"] and names_write_in(name):
        return _("Write-in"), False
    return name, candidate["is_write_in"]


def election_header(snapshot: Snapshot) -> dict[str, Any]:
    """The headline facts of the election: name, badge, stations reporting every contest they vote on (the cards count
    the stations reporting each contest, by the same rule: ``tallies.counts_for_reporting``), turnout from the turnout
    reports, and the update time. ``version`` is for the page's data attributes and cache keys, never its text."""
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
        # Their registered voters are left out of the sum above, and their turnout out of the percentage.
        "registered_unknown": sum(1 for s in snapshot["stations"] if s["registered_voters"] is None),
        "turnout_voters": totals["turnout_voters"],
        "turnout_stations": totals["turnout_stations"],
        "turnout_percent": percent(totals["turnout"]),
        # Reports came in, but only from stations whose registered voters are unknown: no share to give.
        "turnout_share_unknown": totals["turnout"] is None and totals["turnout_stations"] > 0,
        "url": reverse("results:overview", args=[election["slug"]]),
    }


def scope_name(lookup: Lookup, contest: SnapshotContest) -> str:
    """Where a contest is voted: its electoral district, its district, or the whole election."""
    if contest["electoral_district_id"] is not None:
        areas = {a["id"]: a for a in lookup.snapshot["electoral_districts"]}
        area = areas.get(contest["electoral_district_id"])
        if area is not None:
            return local_name(area)
    district = lookup.districts.get(contest["district_id"]) if contest["district_id"] else None
    return local_name(district) if district else str(_("Whole election"))
