"""The entry API at /api/v1/entry/: what devices, scripts and the ballot screen use to enter results.

Every write carries an ``Idempotency-Key`` header; a replay answers what the first request was answered.
Authentication: the entry site's session (with its CSRF token) or ``Authorization: Bearer <personal API token>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Header, Path, Query, Router, Status
from ninja.errors import ValidationError

from ballots import services
from ballots.models import Ballot
from ballots.schemas import (
    MAX_ID,
    BallotIn,
    BallotOut,
    BatchIn,
    BatchOut,
    SheetBatchIn,
    SheetBatchOut,
    SheetIn,
    SheetOut,
    StationFilter,
    StationOut,
    TurnoutIn,
    TurnoutOut,
    VoidIn,
    VoidOut,
)
from ballots.selectors import StationOverview, list_station_overviews
from ballots.services.locking import StationNotFound
from ballots.throttling import EntryRateThrottle
from elections.models import Contest, PollingStation
from trust.errors import ERRORS, error_body, status_for
from trust.http import get_client_address
from trust.idempotency import Recorded
from trust.tokens import ENTRY_AUTH

router = Router(tags=["entry"], auth=ENTRY_AUTH, throttle=EntryRateThrottle())

KeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        description="A key the client makes for this entry (8–128 letters, digits, dots, dashes, colons); "
        "sending it again replays the first answer.",
    ),
]
REPLAY_HEADER = "Idempotent-Replayed"


def _actor(request: HttpRequest) -> User:
    """The user the request authenticated as (by token or session)."""
    return request.auth  # type: ignore[attr-defined]


# One answer for a station that does not exist and one the caller may not work on: ids cannot be probed.
NO_SUCH_STATION = "There is no such polling station."


@contextmanager
def _station_found(station_id: int) -> Iterator[None]:
    """Answer 404 for a station that is unknown or not the caller's (``StationNotFound``). The services read the
    station themselves, under their lock, from its id: reading it here too would cost a query for nothing."""
    try:
        yield
    except StationNotFound:
        raise Http404(NO_SUCH_STATION) from None


def _unknown_item(index: int, what: str, *, entry: str = "ballot") -> dict[str, Any]:
    """A batch item's outcome for an unknown station or contest (a station not the caller's is unknown too)."""
    error = error_body(code="not_found", message=f"Unknown {what}.", details={"field": what})
    return {"index": index, "status": 404, "replayed": False, entry: None, "error": error}


def _contest(contest_id: int) -> Contest:
    try:
        return Contest.objects.get(pk=contest_id)
    except Contest.DoesNotExist:
        raise Http404(f"There is no contest {contest_id}.") from None


def _status_of(recorded: Recorded[Any]) -> int:
    """201 for a new entry (a ballot, a void, a sheet version, a report), 200 for a decision about existing ones.
    A replay answers with the status of the first write, as ``created`` is kept with its answer."""
    return 201 if recorded.created else 200


def _answer(response: HttpResponse, recorded: Recorded[Any]) -> Status[dict[str, Any]]:
    """The stored answer, with its first status; a header tells a replay from a first write."""
    response[REPLAY_HEADER] = "true" if recorded.replayed else "false"
    return Status(_status_of(recorded), recorded.body)


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
        "counts_blank_and_invalid": station.election.counts_blank_and_invalid,
        "counts_undervotes_and_overvotes": station.election.counts_undervotes_and_overvotes,
        "vote_types": [{"code": t.code, "name": t.name, "name_ar": t.name_ar} for t in overview.vote_types],
        "turnout_voters": overview.turnout_voters,
        "turnout_at": overview.turnout_at,
        "contests": [
            {
                "id": p.contest.pk,
                "name": p.contest.name,
                "kind": p.contest.kind,
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
    if len(request.GET.getlist("election_id")) > 1:
        # The query reads one value (the last); a repeated filter is refused, not half read.
        raise ValidationError([{"loc": ("query", "election_id"), "msg": "Give one election_id, not several."}])
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
            outcomes[index] = _unknown_item(index, "station_id" if station is None else "contest_id")
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
                "status": _status_of(recorded),
                "replayed": recorded.replayed,
                "ballot": recorded.body,
                "error": None,
            }
        elif isinstance(outcome.error, StationNotFound):
            outcomes[index] = _unknown_item(index, "station_id")
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
            undervotes=payload.undervotes,
            overvotes=payload.overvotes,
            votes_by_type=payload.votes_by_type,
            reason=payload.reason,
            actor=_actor(request),
            idempotency_key=idempotency_key,
            client_address=get_client_address(request),
        )
    return _answer(response, recorded)


@router.post("/tally-sheets/batch", response={200: SheetBatchOut, **ERRORS}, summary="Submit a batch of tally sheets")
def submit_tally_sheet_batch(request: HttpRequest, payload: SheetBatchIn, idempotency_key: KeyHeader) -> dict[str, Any]:
    """Enter up to 1,000 tally sheets, as the single endpoint would one by one: each is its own entry with its own
    key and gets its own outcome (the status the single endpoint would answer, and its body or error); a refused
    sheet changes nothing and holds up no other. A key sent again replays, within a batch or across requests."""
    entries = [
        services.SheetEntry(
            station_id=item.station_id,
            contest_id=item.contest_id,
            ballots_cast=item.ballots_cast,
            blank=item.blank,
            invalid=item.invalid,
            votes=item.votes,
            undervotes=item.undervotes,
            overvotes=item.overvotes,
            votes_by_type=item.votes_by_type,
            reason=item.reason,
            idempotency_key=item.idempotency_key or f"{idempotency_key}:{index}",
        )
        for index, item in enumerate(payload.items)
    ]
    results = services.submit_tally_sheets(
        items=entries, actor=_actor(request), client_address=get_client_address(request)
    )
    outcomes: list[dict[str, Any]] = []
    for outcome in results:
        if outcome.recorded is not None:
            recorded = outcome.recorded
            outcomes.append(
                {
                    "index": outcome.index,
                    "status": _status_of(recorded),
                    "replayed": recorded.replayed,
                    "sheet": recorded.body,
                    "error": None,
                }
            )
        elif isinstance(outcome.error, StationNotFound):
            outcomes.append(_unknown_item(outcome.index, "station_id", entry="sheet"))
        elif isinstance(outcome.error, services.ContestNotFound):
            outcomes.append(_unknown_item(outcome.index, "contest_id", entry="sheet"))
        elif outcome.error is not None:
            error = outcome.error
            outcomes.append(
                {
                    "index": outcome.index,
                    "status": status_for(error),
                    "replayed": False,
                    "sheet": None,
                    "error": error_body(code=error.code, message=error.message, details=error.details),
                }
            )
    recorded_count = sum(1 for o in outcomes if o["error"] is None)
    return {"recorded": recorded_count, "refused": len(outcomes) - recorded_count, "outcomes": outcomes}


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
    try:
        recorded = services.void_ballot(
            ballot=ballot,
            reason=payload.reason,
            actor=_actor(request),
            idempotency_key=idempotency_key,
            client_address=get_client_address(request),
        )
    except StationNotFound:
        # A ballot of a station the caller may not work on is answered like one that does not exist.
        raise Http404(f"There is no ballot {ballot_id}.") from None
    return _answer(response, recorded)
