"""Ballot-by-ballot counting: recording and voiding ballots, and closing or reopening a station's count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.models import Ballot, BallotMark, BallotVoid, StationCount
from ballots.rules import (
    require_contest_at_station,
    require_count_open,
    require_counting_method,
    require_reason,
    validate_marks,
)
from ballots.services.locking import station_id_of
from ballots.services.operation import EntryOperation, run_entry
from ballots.services.sheets import cross_check_station
from elections.models import Contest, PollingStation
from trust.errors import DomainError, EntryRejected
from trust.idempotency import Answer, Recorded
from trust.roles import Actor, require_user

MAX_BATCH = 500


@dataclass(frozen=True)
class BallotEntry:
    """One ballot of a batch, with its own idempotency key."""

    station: PollingStation
    contest: Contest
    kind: str
    marks: Sequence[int]
    idempotency_key: str


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one item of a batch: recorded (possibly as a replay) or refused with an error."""

    index: int
    recorded: Recorded[Ballot] | None
    error: DomainError | None


def _ballot_body(ballot: Ballot, marks: list[int]) -> dict[str, Any]:
    return {
        "ballot_id": ballot.pk,
        "station_id": ballot.station_id,
        "contest_id": ballot.contest_id,
        "kind": ballot.kind,
        "marks": marks,
        "entered_at": ballot.entered_at.isoformat(),
    }


def record_ballot(
    *,
    station: PollingStation | int,
    contest: Contest,
    kind: str,
    marks: Sequence[int],
    actor: Actor,
    idempotency_key: str,
    client_address: str | None = None,
) -> Recorded[Ballot]:
    """Record one paper ballot: marked (at most the contest's choices, each candidate once), blank or invalid.
    ``station`` may be given by id: it is read under the lock either way."""

    def perform(entry: EntryOperation) -> Answer[Ballot]:
        require_counting_method(entry.station, ballots=True)
        require_contest_at_station(contest, entry.station)
        clean_marks = validate_marks(contest, kind, marks)
        require_count_open(entry.station, contest)
        ballot = Ballot.objects.create(
            station=entry.station,
            contest=contest,
            kind=kind,
            entered_by=entry.user,
            entered_at=timezone.now(),
            idempotency_key=idempotency_key,
        )
        BallotMark.objects.bulk_create([BallotMark(ballot=ballot, candidate_id=mark) for mark in clean_marks])
        body = _ballot_body(ballot, clean_marks)
        entry.record_change(action="ballot.record", obj=ballot, before=None, after=body)
        return Answer(obj=ballot, created=True, body=body)

    return run_entry(
        operation="ballot.record",
        station=station,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request={
            "station": station_id_of(station),
            "contest": contest.pk,
            "kind": kind,
            "marks": sorted(map(str, marks)),
        },
        perform=perform,
        load=lambda body: Ballot.objects.get(pk=body["ballot_id"]),
    )


def record_ballots_batch(
    *, items: Sequence[BallotEntry], actor: Actor, client_address: str | None = None
) -> list[BatchOutcome]:
    """Record many ballots; each item is its own entry with its own key and gets its own outcome."""
    require_user(actor)
    if len(items) > MAX_BATCH:
        raise EntryRejected(
            _("Send at most %(max)d ballots at once.") % {"max": MAX_BATCH},
            code="batch_too_large",
            details={"field": "items"},
        )
    outcomes: list[BatchOutcome] = []
    for index, item in enumerate(items):
        try:
            recorded = record_ballot(
                station=item.station,
                contest=item.contest,
                kind=item.kind,
                marks=item.marks,
                actor=actor,
                idempotency_key=item.idempotency_key,
                client_address=client_address,
            )
        except DomainError as error:
            outcomes.append(BatchOutcome(index=index, recorded=None, error=error))
        else:
            outcomes.append(BatchOutcome(index=index, recorded=recorded, error=None))
    return outcomes


def void_ballot(
    *, ballot: Ballot, reason: str, actor: Actor, idempotency_key: str, client_address: str | None = None
) -> Recorded[BallotVoid]:
    """Take a ballot out of the count with a reason. The ballot stays; the void is an entry of its own."""

    def perform(entry: EntryOperation) -> Answer[BallotVoid]:
        clean_reason = require_reason(reason)
        if BallotVoid.objects.filter(ballot_id=ballot.pk).exists():
            raise EntryRejected(_("This ballot is already void."), code="already_voided", details={"field": "ballot"})
        require_count_open(entry.station, ballot.contest)
        void = BallotVoid.objects.create(
            ballot=ballot,
            reason=clean_reason,
            voided_by=entry.user,
            voided_at=timezone.now(),
            idempotency_key=idempotency_key,
        )
        body = {"void_id": void.pk, "ballot_id": ballot.pk, "reason": clean_reason}
        entry.record_change(
            action="ballot.void", obj=ballot, before={"ballot_id": ballot.pk, "void": False}, after=body
        )
        return Answer(obj=void, created=True, body=body)

    return run_entry(
        operation="ballot.void",
        station=ballot.station_id,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request={"ballot": ballot.pk, "reason": reason},
        perform=perform,
        load=lambda body: BallotVoid.objects.get(pk=body["void_id"]),
    )


def _count_body(count: StationCount) -> dict[str, Any]:
    return {
        "station_count_id": count.pk,
        "station_id": count.station_id,
        "contest_id": count.contest_id,
        "complete": count.complete,
    }


def mark_count_complete(
    *,
    station: PollingStation,
    contest: Contest,
    actor: Actor,
    idempotency_key: str,
    client_address: str | None = None,
) -> Recorded[StationCount]:
    """Close a station's ballots for a contest: from now on they count, and no ballot is added or voided."""

    def perform(entry: EntryOperation) -> Answer[StationCount]:
        require_counting_method(entry.station, ballots=True)
        require_contest_at_station(contest, entry.station)
        count, _created = StationCount.objects.get_or_create(station=entry.station, contest=contest)
        if count.complete:
            raise EntryRejected(_("The count of this station is already complete."), code="count_already_complete")
        before = _count_body(count)
        count.complete = True
        count.completed_by = entry.user
        count.completed_at = timezone.now()
        count.save()
        body = _count_body(count)
        entry.record_change(action="count.complete", obj=count, before=before, after=body)
        cross_check_station(entry, contest=contest)
        return Answer(obj=count, created=False, body=body)

    return run_entry(
        operation="count.complete",
        station=station,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request={"station": station.pk, "contest": contest.pk},
        perform=perform,
        load=lambda body: StationCount.objects.get(pk=body["station_count_id"]),
    )


def reopen_count(
    *,
    station: PollingStation,
    contest: Contest,
    reason: str,
    actor: Actor,
    idempotency_key: str,
    client_address: str | None = None,
) -> Recorded[StationCount]:
    """A supervisor reopens a completed count so ballots can be added or voided again."""

    def perform(entry: EntryOperation) -> Answer[StationCount]:
        clean_reason = require_reason(reason)
        count = StationCount.objects.filter(station=entry.station, contest=contest, complete=True).first()
        if count is None:
            raise EntryRejected(_("The count of this station is not complete."), code="count_not_complete")
        before = _count_body(count)
        count.complete = False
        count.reopened_by = entry.user
        count.reopened_at = timezone.now()
        count.reopen_reason = clean_reason
        count.save()
        body = {**_count_body(count), "reason": clean_reason}
        entry.record_change(action="count.reopen", obj=count, before=before, after=body)
        return Answer(obj=count, created=False, body=body)

    return run_entry(
        operation="count.reopen",
        station=station,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request={"station": station.pk, "contest": contest.pk, "reason": reason},
        perform=perform,
        load=lambda body: StationCount.objects.get(pk=body["station_count_id"]),
        supervisors_only=True,
    )
