"""Ballot-by-ballot counting: recording and voiding ballots, and closing or reopening a station's count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.entry import (
    Actor,
    lock_station,
    record_change,
    require_contest_at_station,
    require_counting_method,
    require_entry_window,
    require_reason,
    require_supervisor,
    require_user,
    station_id_of,
)
from ballots.models import Ballot, BallotMark, BallotVoid, StationCount
from ballots.sheets import cross_check_station
from elections.models import Candidate, Contest, PollingStation
from trust.errors import DomainError, EntryRejected
from trust.idempotency import Recorded, run_idempotently

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


def _is_complete(station: PollingStation, contest: Contest) -> bool:
    return StationCount.objects.filter(station=station, contest=contest, complete=True).exists()


def _refuse_if_complete(station: PollingStation, contest: Contest) -> None:
    if _is_complete(station, contest):
        raise EntryRejected(
            _("The count of this station is complete. A supervisor must reopen it first."),
            code="count_complete",
            details={"field": "contest"},
        )


def _validate_marks(contest: Contest, kind: str, marks: Sequence[int]) -> list[int]:
    if kind not in Ballot.Kind.values:
        raise EntryRejected(
            _("Choose marked, blank or invalid."), code="ballot_kind_invalid", details={"field": "kind"}
        )
    marks = list(marks)
    if any(not isinstance(mark, int) or isinstance(mark, bool) for mark in marks):
        raise EntryRejected(_("Marks must be candidates."), code="marks_invalid", details={"field": "marks"})
    if kind != Ballot.Kind.MARKED:
        if marks:
            raise EntryRejected(
                _("A blank or invalid ballot has no marks."), code="marks_not_allowed", details={"field": "marks"}
            )
        return []
    if not marks:
        raise EntryRejected(_("Mark at least one candidate."), code="marks_missing", details={"field": "marks"})
    if len(set(marks)) != len(marks):
        raise EntryRejected(
            _("A candidate can be marked only once."), code="marks_duplicate", details={"field": "marks"}
        )
    if len(marks) > contest.max_choices:
        raise EntryRejected(
            _("This ballot marks %(count)d candidates; at most %(max)d are allowed.")
            % {"count": len(marks), "max": contest.max_choices},
            code="too_many_marks",
            details={"field": "marks", "max_choices": contest.max_choices},
        )
    known = set(Candidate.objects.filter(contest=contest, pk__in=marks).values_list("pk", flat=True))
    if known != set(marks):
        raise EntryRejected(
            _("A marked candidate does not stand in this contest."),
            code="candidate_not_in_contest",
            details={"field": "marks", "candidate_ids": sorted(set(marks) - known)},
        )
    return sorted(marks)


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
    user = require_user(actor)

    def perform() -> tuple[Ballot, int, dict[str, Any]]:
        _user, locked = lock_station(station, user)
        require_entry_window(user, locked)
        require_counting_method(locked, ballots=True)
        require_contest_at_station(contest, locked)
        clean_marks = _validate_marks(contest, kind, marks)
        _refuse_if_complete(locked, contest)
        ballot = Ballot.objects.create(
            station=locked,
            contest=contest,
            kind=kind,
            entered_by=user,
            entered_at=timezone.now(),
            idempotency_key=idempotency_key,
        )
        BallotMark.objects.bulk_create([BallotMark(ballot=ballot, candidate_id=mark) for mark in clean_marks])
        body = _ballot_body(ballot, clean_marks)
        record_change(
            action="ballot.record",
            obj=ballot,
            user=user,
            station=locked,
            before=None,
            after=body,
            client_address=client_address,
            idempotency_key=idempotency_key,
        )
        return ballot, 201, body

    payload = {"station": station_id_of(station), "contest": contest.pk, "kind": kind, "marks": sorted(map(str, marks))}
    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="ballot.record",
        fingerprint_payload=payload,
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
    user = require_user(actor)

    def perform() -> tuple[BallotVoid, int, dict[str, Any]]:
        _user, locked = lock_station(ballot.station, user)
        require_entry_window(user, locked)
        clean_reason = require_reason(reason)
        if BallotVoid.objects.filter(ballot_id=ballot.pk).exists():
            raise EntryRejected(_("This ballot is already void."), code="already_voided", details={"field": "ballot"})
        _refuse_if_complete(locked, ballot.contest)
        void = BallotVoid.objects.create(
            ballot=ballot,
            reason=clean_reason,
            voided_by=user,
            voided_at=timezone.now(),
            idempotency_key=idempotency_key,
        )
        body = {"void_id": void.pk, "ballot_id": ballot.pk, "reason": clean_reason}
        record_change(
            action="ballot.void",
            obj=ballot,
            user=user,
            station=locked,
            before={"ballot_id": ballot.pk, "void": False},
            after=body,
            client_address=client_address,
            idempotency_key=idempotency_key,
        )
        return void, 201, body

    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="ballot.void",
        fingerprint_payload={"ballot": ballot.pk, "reason": reason},
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
    user = require_user(actor)

    def perform() -> tuple[StationCount, int, dict[str, Any]]:
        _user, locked = lock_station(station, user)
        require_entry_window(user, locked)
        require_counting_method(locked, ballots=True)
        require_contest_at_station(contest, locked)
        count, _created = StationCount.objects.get_or_create(station=locked, contest=contest)
        if count.complete:
            raise EntryRejected(_("The count of this station is already complete."), code="count_already_complete")
        before = _count_body(count)
        count.complete = True
        count.completed_by = user
        count.completed_at = timezone.now()
        count.save()
        body = _count_body(count)
        record_change(
            action="count.complete",
            obj=count,
            user=user,
            station=locked,
            before=before,
            after=body,
            client_address=client_address,
            idempotency_key=idempotency_key,
        )
        cross_check_station(
            station=locked, contest=contest, user=user, client_address=client_address, idempotency_key=idempotency_key
        )
        return count, 200, body

    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="count.complete",
        fingerprint_payload={"station": station.pk, "contest": contest.pk},
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
    user = require_user(actor)

    def perform() -> tuple[StationCount, int, dict[str, Any]]:
        _user, locked = lock_station(station, user)
        require_supervisor(user, locked)
        require_entry_window(user, locked)
        clean_reason = require_reason(reason)
        count = StationCount.objects.filter(station=locked, contest=contest, complete=True).first()
        if count is None:
            raise EntryRejected(_("The count of this station is not complete."), code="count_not_complete")
        before = _count_body(count)
        count.complete = False
        count.reopened_by = user
        count.reopened_at = timezone.now()
        count.reopen_reason = clean_reason
        count.save()
        body = {**_count_body(count), "reason": clean_reason}
        record_change(
            action="count.reopen",
            obj=count,
            user=user,
            station=locked,
            before=before,
            after=body,
            client_address=client_address,
            idempotency_key=idempotency_key,
        )
        return count, 200, body

    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="count.reopen",
        fingerprint_payload={"station": station.pk, "contest": contest.pk, "reason": reason},
        perform=perform,
        load=lambda body: StationCount.objects.get(pk=body["station_count_id"]),
    )
