"""The shape of a results snapshot: what ``tallies.build_snapshot`` makes and what the pages, the live frames, the
exports and the API read.

One declaration serves three readers: mypy checks every access against it, the API declares it as its response so
the OpenAPI document describes each field (its docstrings become the descriptions), and a test validates real
snapshots against it with pydantic (``extra="forbid"``: a key built but not declared fails it too). The API still
sends the snapshot as JSON encoded once per version, never validated per request.

Snapshots are plain JSON-able dicts (lists, no integer keys) so that the cache, the API, the pages and the live
channel serve the same thing. Times are ISO 8601 text, ratios are fractions from 0 to 1 (None when there is nothing
to divide by), and votes per candidate are lists in the contest's ballot order.
"""

from __future__ import annotations

from typing import Annotated, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic reads TypedDicts from typing_extensions before Python 3.12

EXACT = ConfigDict(extra="forbid")

IsoDate = Annotated[str, Field(json_schema_extra={"format": "date"})]
IsoDateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
# A share of the valid votes, 0 to 1, rounded to six places; None while there are none.
Share = Annotated[float, Field(ge=0, le=1)] | None
# Ballots cast or voters so far over the registered voters of the stations counted, rounded to six places; None when
# there are none.
Turnout = Annotated[float, Field(ge=0)] | None


@with_config(EXACT)
class SnapshotElection(TypedDict):
    """The election the results are of."""

    id: int
    slug: str
    name: str
    name_ar: str
    date: IsoDate
    time_zone: str
    status: Annotated[str, Field(description="draft, open, closed or certified")]
    results_visibility: Annotated[str, Field(description="provisional or official (hidden results are not served)")]
    counting_method: Annotated[str, Field(description="tally_sheets, ballots or both")]


@with_config(EXACT)
class SnapshotTotals(TypedDict):
    """Election-wide counts: stations reporting (quarantined results left out) and turnout reported so far."""

    stations_total: int
    stations_reporting: int
    registered_voters: int
    turnout_voters: int
    turnout_stations: int
    turnout: Turnout


@with_config(EXACT)
class SnapshotParty(TypedDict):
    id: int
    name: str
    name_ar: str
    abbreviation: str
    colour: Annotated[str, Field(description="#RRGGBB")]


@with_config(EXACT)
class SnapshotDistrict(TypedDict):
    """An electoral area, possibly inside another (``parent_id``)."""

    id: int
    code: str
    name: str
    name_ar: str
    parent_id: int | None


@with_config(EXACT)
class SnapshotStation(TypedDict):
    """A polling station, with its latest turnout report (None before the first)."""

    id: int
    code: str
    name: str
    name_ar: str
    district_id: int
    registered_voters: int
    latitude: float | None
    longitude: float | None
    turnout_voters: int | None
    turnout_at: IsoDateTime | None


@with_config(EXACT)
class SnapshotCandidate(TypedDict):
    id: int
    name: str
    name_ar: str
    party_id: int | None
    ballot_order: int


@with_config(EXACT)
class SnapshotCandidateTally(TypedDict):
    """A candidate's votes in a tally, their share of the valid votes, and whether they lead for a seat."""

    id: int
    votes: int
    share: Share
    leading: bool


@with_config(EXACT)
class SnapshotTally(TypedDict):
    """A contest summed over stations that reported, quarantined results left out; candidates in ballot order."""

    candidates: list[SnapshotCandidateTally]
    valid_votes: int
    blank: int
    invalid: int
    ballots_cast: int
    registered_voters: Annotated[int, Field(description="of the stations reporting")]
    turnout: Turnout
    stations_reporting: int
    stations_total: int


@with_config(EXACT)
class SnapshotDistrictTally(SnapshotTally):
    """A contest summed over one district's stations, those of the districts inside it included."""

    district_id: int


@with_config(EXACT)
class SnapshotStationResult(TypedDict):
    """One station's result in a contest: its accepted tally sheet or its counted ballots (``source``)."""

    station_id: int
    ballots_cast: int
    blank: int
    invalid: int
    votes: Annotated[list[int], Field(description="per candidate, in ballot order")]
    leading: Annotated[list[int], Field(description="ids of the candidates leading for the contest's seats")]
    source: Annotated[str, Field(description="tally_sheet, ballots or ballots_and_tally_sheet")]
    sheet_version: int | None
    quarantined: Annotated[bool, Field(description="shown, but left out of every total")]
    quarantine_reason: str


@with_config(EXACT)
class SnapshotContest(TypedDict):
    """A race: over the whole election (``district_id`` None) or one district and the districts inside it."""

    id: int
    slug: str
    name: str
    name_ar: str
    district_id: int | None
    seats: int
    max_choices: int
    candidates: list[SnapshotCandidate]
    totals: SnapshotTally
    districts: list[SnapshotDistrictTally]
    stations: Annotated[list[SnapshotStationResult], Field(description="every station that reported")]
    quarantined: Annotated[list[int], Field(description="ids of the stations whose result is quarantined")]


@with_config(EXACT)
class Snapshot(TypedDict):
    """An election's published results at one version: a higher version was counted later from at least as much
    data, and one version always names the same data."""

    schema: Annotated[int, Field(description="the layout's number; changes only when a field changes meaning")]
    version: int
    updated_at: IsoDateTime
    counted_at: NotRequired[Annotated[float, Field(description="when the recount started, in Unix seconds")]]
    election: SnapshotElection
    totals: SnapshotTotals
    parties: list[SnapshotParty]
    districts: list[SnapshotDistrict]
    stations: list[SnapshotStation]
    contests: list[SnapshotContest]
