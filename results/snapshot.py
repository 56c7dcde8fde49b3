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
    counts_blank_and_invalid: Annotated[bool, Field(description="sheets count blank and invalid ballots")]
    counts_undervotes_and_overvotes: Annotated[bool, Field(description="sheets count undervotes and overvotes")]


@with_config(EXACT)
class SnapshotTotals(TypedDict):
    """Election-wide counts: stations reporting every contest they vote on (``tallies.stations_reporting_everything``)
    and the turnout reports received so far."""

    stations_total: Annotated[int, Field(description="stations that vote on at least one contest")]
    stations_reporting: Annotated[
        int, Field(description="of those, the stations with a counted result (accepted, not quarantined) in each")
    ]
    registered_voters: Annotated[int, Field(description="of the stations whose registered voters are known")]
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
class SnapshotVoteType(TypedDict):
    """A way votes were cast that the results report apart; ``by_type`` lists follow this order."""

    id: int
    code: str
    name: str
    name_ar: str
    nist_type: Annotated[str, Field(description="election-day, early, absentee, provisional, … or other")]


@with_config(EXACT)
class SnapshotElectoralDistrict(TypedDict):
    """The area of a contest that is a set of stations rather than one district (``station_ids`` on the contest)."""

    id: int
    code: str
    name: str
    name_ar: str


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
    registered_voters: Annotated[int | None, Field(description="None when unknown")]
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
    is_write_in: bool


@with_config(EXACT)
class SnapshotCandidateTally(TypedDict):
    """A candidate's votes in a tally, their share of the valid votes, and whether they lead for a seat or are tied
    with others for the last seat within reach (then none of them leads)."""

    id: int
    votes: int
    share: Share
    leading: bool
    tied: bool
    by_type: Annotated[list[int], Field(description="votes per vote type, in the snapshot's vote_types order")]


@with_config(EXACT)
class SnapshotTally(TypedDict):
    """A contest summed over stations that reported, quarantined results left out; candidates in ballot order."""

    candidates: list[SnapshotCandidateTally]
    valid_votes: int
    blank: int
    invalid: int
    undervotes: int
    overvotes: int
    ballots_cast: int
    registered_voters: Annotated[int, Field(description="of the stations reporting whose registered voters are known")]
    turnout: Turnout
    stations_reporting: Annotated[
        int, Field(description="stations with a counted result (accepted, not quarantined) in this contest")
    ]
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
    undervotes: int
    overvotes: int
    votes: Annotated[list[int], Field(description="per candidate, in ballot order")]
    votes_by_type: Annotated[
        list[list[int]], Field(description="per candidate, votes per vote type; empty without vote types")
    ]
    leading: Annotated[list[int], Field(description="ids of the candidates leading for the contest's seats")]
    tied: Annotated[list[int], Field(description="ids of the candidates tied for the last seat within reach")]
    source: Annotated[str, Field(description="tally_sheet, ballots or ballots_and_tally_sheet")]
    sheet_version: int | None
    quarantined: Annotated[bool, Field(description="shown, but left out of every total")]
    quarantine_reason: str


@with_config(EXACT)
class SnapshotContest(TypedDict):
    """A race over the whole election, one district and the districts inside it (``district_id``), or an electoral
    district (``electoral_district_id``); ``station_ids`` are the stations voting on it either way. A ballot measure
    (``kind`` "measure") has its choices as candidates, "Yes" first, and ``passes`` tells the outcome so far."""

    id: int
    slug: str
    name: str
    name_ar: str
    kind: Annotated[str, Field(description="candidates or measure")]
    threshold: Annotated[float | None, Field(description="share of the votes Yes needs; None: more than half")]
    passes: Annotated[bool | None, Field(description="measures: whether Yes passes on the votes so far")]
    district_id: int | None
    electoral_district_id: int | None
    station_ids: list[int]
    seats: int
    max_choices: int
    candidates: list[SnapshotCandidate]
    totals: SnapshotTally
    districts: list[SnapshotDistrictTally]
    stations: Annotated[list[SnapshotStationResult], Field(description="every station that reported")]
    quarantined: Annotated[list[int], Field(description="ids of the stations whose result is quarantined")]


@with_config(EXACT)
class SnapshotAuditHead(TypedDict):
    """The audit log's head when the snapshot was counted, for outsiders to keep and check against the signed
    checkpoints (``docs/audit.md``). Read with each recount, never on its own: an audit event does not make a new
    version, and a snapshot rebuilt at the same version may carry a later head."""

    event_id: Annotated[int, Field(description="the last event's id; 0 while the log is empty")]
    hash: Annotated[str, Field(description="its SHA-256 chain hash, hexadecimal")]
    count: Annotated[int, Field(description="how many events lead up to it, itself included")]


@with_config(EXACT)
class Snapshot(TypedDict):
    """An election's published results at one version: a higher version was counted later from at least as much
    data, and one version always names the same data."""

    schema: Annotated[int, Field(description="the layout's number; changes only when a field changes meaning")]
    version: int
    updated_at: IsoDateTime
    counted_at: NotRequired[Annotated[float, Field(description="when the recount started, in Unix seconds")]]
    audit_head: NotRequired[SnapshotAuditHead]
    election: SnapshotElection
    totals: SnapshotTotals
    parties: list[SnapshotParty]
    vote_types: list[SnapshotVoteType]
    electoral_districts: list[SnapshotElectoralDistrict]
    districts: list[SnapshotDistrict]
    stations: list[SnapshotStation]
    contests: list[SnapshotContest]
