"""The entry API at /api/v1/entry/: what devices, scripts and the ballot screen use to enter results.

Every write carries an ``Idempotency-Key`` header; a replay answers what the first request was answered.
Authentication: the entry site's session (with its CSRF token) or ``Authorization: Bearer <personal API token>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Header, Path, Query, Router, Schema, Status

from ballots import services
from ballots.counting import MAX_BATCH
from ballots.models import Ballot
from ballots.overview import StationOverview, list_station_overviews
from ballots.throttling import EntryRateThrottle
from elections.models import Contest, PollingStation
from trust.errors import ERRORS, ErrorBody, error_body, status_for
from trust.http import get_client_address
from trust.idempotency import Recorded
from trust.tokens import ENTRY_AUTH

router = Router(tags=["entry"], auth=ENTRY_AUTH, throttle=EntryRateThrottle())

# Ids and counts are bounded so that no number a client sends can overflow a database column.
MAX_ID = 2**63 - 1
MAX_COUNT = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
KeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="A key the client makes for this entry (8–128 letters, digits, dots, dashes, colons); "
        "sending it again replays the first answer.",
    ),
]
REPLAY_HEADER = "Idempotent-Replayed"


class CandidateOut(Schema):
    id: int
    name_en: str
    name_ar: str
    ballot_order: int


class ContestProgressOut(Schema):
    id: int
    name: str
    max_choices: int
    candidates: list[CandidateOut]
    ballots_entered: int
    count_complete: bool
    sheet_status: str | None
    sheet_version: int | None


class StationOut(Schema):
    id: int
    code: str
    name: str
    district: str
    registered_voters: int
    election_id: int
    election_name: str
    election_status: str
    counting_method: str
    double_entry: bool
    turnout_voters: int | None
    turnout_at: dt.datetime | None
    contests: list[ContestProgressOut]


class BallotIn(Schema):
    station_id: Id
    contest_id: Id
    kind: Literal["marked", "blank", "invalid"]
    marks: list[Id] = Field(default_factory=list, max_length=100)


class BallotOut(Schema):
    ballot_id: int
    station_id: int
    contest_id: int
    kind: str
    marks: list[int]
    entered_at: dt.datetime


class BatchItemIn(BallotIn):
    idempotency_key: str | None = Field(
        default=None,
        max_length=128,
        description="This ballot's own key; when left out it is the request's key followed by ':' and the index.",
    )


class BatchIn(Schema):
    items: list[BatchItemIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOutcomeOut(Schema):
    index: int
    status: int
    replayed: bool
    ballot: BallotOut | None
    error: ErrorBody | None


class BatchOut(Schema):
    recorded: int
    refused: int
    outcomes: list[BatchOutcomeOut]


class SheetIn(Schema):
    station_id: Id
    contest_id: Id
    ballots_cast: Count
    blank: Count
    invalid: Count
    votes: dict[Id, Count] = Field(description="Votes per candidate id; every candidate of the contest (0 if none).")
    reason: str = Field(default="", max_length=2000, description="Required for a correction.")


class SheetOut(Schema):
    sheet_id: int
    version: int
    status: str
    ballots_cast: int
    blank: int
    invalid: int
    votes: dict[str, int]
    reason: str
    quarantine_reason: str
    other_versions: dict[str, str]


class TurnoutIn(Schema):
    station_id: Id
    voters: Count
    at: dt.datetime | None = Field(default=None, description="When, with a time zone; now when left out.")


class TurnoutOut(Schema):
    turnout_id: int
    station_id: int
    voters: int
    at: dt.datetime


class VoidIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class VoidOut(Schema):
    void_id: int
    ballot_id: int
    reason: str


class StationFilter(Schema):
    election_id: Id | None = None


def _actor(request: HttpRequest) -> User:
    """The user the request authenticated as (by token or session)."""
    return request.auth  # type: ignore[attr-defined]


@contextmanager
def _station_found(station_id: int) -> Iterator[None]:
    """Answer 404 for an unknown station. The services read the station themselves, under their lock, from its id:
    reading it here too would cost a query for nothing."""
    try:
        yield
    except PollingStation.DoesNotExist:
        raise Http404(f"There is no polling station {station_id}.") from None


def _contest(contest_id: int) -> Contest:
    try:
        return Contest.objects.get(pk=contest_id)
    except Contest.DoesNotExist:
        raise Http404(f"There is no contest {contest_id}.") from None


def _answer(response: HttpResponse, recorded: Recorded[Any]) -> Status[dict[str, Any]]:
    """The stored answer, with its first status; a header tells a replay from a first write."""
    response[REPLAY_HEADER] = "true" if recorded.replayed else "false"
    return Status(recorded.status, recorded.body)


def _station_out(overview: StationOverview) -> dict[str, Any]:
    station = overview.station
    return {
        "id": station.pk,
        "code": station.code,
        "name": station.name,
        "district": station.district.name,
        "registered_voters": station.registered_voters,
        "election_id": station.election_id,
        "election_name": station.election.name,
        "election_status": station.election.status,
        "counting_method": station.election.counting_method,
        "double_entry": station.election.double_entry,
        "turnout_voters": overview.turnout_voters,
        "turnout_at": overview.turnout_at,
        "contests": [
            {
                "id": p.contest.pk,
                "name": p.contest.name,
                "max_choices": p.contest.max_choices,
                "candidates": p.candidates,
                "ballots_entered": p.ballots_entered,
                "count_complete": p.count_complete,
                "sheet_status": p.sheet_status,
                "sheet_version": p.sheet_version,
            }
            for p in overview.contests
        ],
    }


@router.get("/stations", response={200: list[StationOut], **ERRORS}, summary="List my polling stations")
def list_stations(request: HttpRequest, filters: Query[StationFilter]) -> list[dict[str, Any]]:
    """The stations you may enter results for, with per contest the ballots entered, the tally sheet's status and
    whether the count is complete, and the latest turnout."""
    return [_station_out(o) for o in list_station_overviews(_actor(request), election_id=filters.election_id)]


@router.post("/ballots", response={201: BallotOut, **ERRORS}, summary="Record a ballot")
def record_ballot(
    request: HttpRequest, response: HttpResponse, payload: BallotIn, idempotency_key: KeyHeader
) -> Status[dict[str, Any]]:
    """Record one paper ballot: marked (at most the contest's choices), blank or invalid."""
    with _station_found(payload.station_id):
        recorded = services.record_ballot(
            station=payload.station_id,
            contest=_contest(payload.contest_id),
            kind=payload.kind,
            marks=payload.marks,
            actor=_actor(request),
            idempotency_key=idempotency_key,
            client_address=get_client_address(request),
        )
    return _answer(response, recorded)


@router.post("/ballots/batch", response={200: BatchOut, **ERRORS}, summary="Record a batch of ballots")
def record_ballot_batch(request: HttpRequest, payload: BatchIn, idempotency_key: KeyHeader) -> dict[str, Any]:
    """Record up to 500 ballots; each is its own entry with its own key and gets its own outcome."""
    stations = PollingStation.objects.select_related("election").in_bulk({i.station_id for i in payload.items})
    contests = Contest.objects.in_bulk({i.contest_id for i in payload.items})
    entries: list[services.BallotEntry] = []
    positions: list[int] = []
    outcomes: dict[int, dict[str, Any]] = {}
    for index, item in enumerate(payload.items):
        station, contest = stations.get(item.station_id), contests.get(item.contest_id)
        if station is None or contest is None:
            what = "station_id" if station is None else "contest_id"
            error = error_body(code="not_found", message=f"Unknown {what}.", details={"field": what})
            outcomes[index] = {"index": index, "status": 404, "replayed": False, "ballot": None, "error": error}
            continue
        key = item.idempotency_key or f"{idempotency_key}:{index}"
        entries.append(services.BallotEntry(station, contest, item.kind, item.marks, key))
        positions.append(index)
    results = services.record_ballots_batch(
        items=entries, actor=_actor(request), client_address=get_client_address(request)
    )
    for outcome in results:
        index = positions[outcome.index]
        if outcome.recorded is not None:
            recorded = outcome.recorded
            outcomes[index] = {
                "index": index,
                "status": recorded.status,
                "replayed": recorded.replayed,
                "ballot": recorded.body,
                "error": None,
            }
        elif outcome.error is not None:
            status = status_for(outcome.error)
            error = error_body(code=outcome.error.code, message=outcome.error.message, details=outcome.error.details)
            outcomes[index] = {"index": index, "status": status, "replayed": False, "ballot": None, "error": error}
    ordered = [outcomes[i] for i in sorted(outcomes)]
    recorded_count = sum(1 for o in ordered if o["error"] is None)
    return {"recorded": recorded_count, "refused": len(ordered) - recorded_count, "outcomes": ordered}


@router.post("/tally-sheets", response={200: SheetOut, 201: SheetOut, **ERRORS}, summary="Submit a tally sheet")
def submit_tally_sheet(
    request: HttpRequest, response: HttpResponse, payload: SheetIn, idempotency_key: KeyHeader
) -> Status[dict[str, Any]]:
    """Enter a station's tally sheet for a contest: a first or second entry, or a correction (give a reason)."""
    with _station_found(payload.station_id):
        recorded = services.submit_tally_sheet(
            station=payload.station_id,
            contest=_contest(payload.contest_id),
            ballots_cast=payload.ballots_cast,
            blank=payload.blank,
            invalid=payload.invalid,
            votes=payload.votes,
            reason=payload.reason,
            actor=_actor(request),
            idempotency_key=idempotency_key,
            client_address=get_client_address(request),
        )
    return _answer(response, recorded)


@router.post("/turnout", response={201: TurnoutOut, **ERRORS}, summary="Report turnout")
def report_turnout(
    request: HttpRequest, response: HttpResponse, payload: TurnoutIn, idempotency_key: KeyHeader
) -> Status[dict[str, Any]]:
    """Report how many voters have voted so far at a station; turnout never decreases."""
    with _station_found(payload.station_id):
        recorded = services.report_turnout(
            station=payload.station_id,
            voters=payload.voters,
            at=payload.at,
            actor=_actor(request),
            idempotency_key=idempotency_key,
            client_address=get_client_address(request),
        )
    return _answer(response, recorded)


@router.post("/ballots/{ballot_id}/void", response={201: VoidOut, **ERRORS}, summary="Void a ballot")
def void_ballot(
    request: HttpRequest,
    response: HttpResponse,
    ballot_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: VoidIn,
    idempotency_key: KeyHeader,
) -> Status[dict[str, Any]]:
    """Take a ballot out of the count, with a reason. The ballot stays; the void is an entry of its own."""
    try:
        ballot = Ballot.objects.select_related("station__election", "contest").get(pk=ballot_id)
    except Ballot.DoesNotExist:
        raise Http404(f"There is no ballot {ballot_id}.") from None
    recorded = services.void_ballot(
        ballot=ballot,
        reason=payload.reason,
        actor=_actor(request),
        idempotency_key=idempotency_key,
        client_address=get_client_address(request),
    )
    return _answer(response, recorded)
