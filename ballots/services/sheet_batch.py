"""Many tally sheets in one call, as a results file or a device that was offline sends them: each sheet is its own
entry, with its own idempotency key and its own answer, checked by the same rules as ``submit_tally_sheet``, and
one refused sheet leaves the others as they are.

What one sheet would do with ``run_entry`` is done once for the batch, in one transaction and in the same order:
the keys are claimed (in one statement; a key already used replays), the stations are locked (in one statement, in
the order of their ids), the stations, contests, candidates, vote types and open sheets are read in bulk, every
sheet is checked in memory, and the accepted ones are written in bulk, each with its own audit event and row digest.
The results side hears once per election. A station and contest sent twice in one batch are entered one after the
other, in rounds, so the second sees the first as a single entry would."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.models import TallySheet, TallySheetVote, TallySheetVoteByType
from ballots.rules import (
    SheetNumbers,
    clean_text,
    is_sheet_correction,
    require_contest_at_station,
    require_counting_method,
    require_entry_window,
    require_reason,
    validate_sheet_numbers,
)
from ballots.services.locking import StationNotFound
from ballots.services.operation import EntryOperation
from ballots.services.sheet_batch_reads import BatchContext, read_batch, read_open_sheets, supervises_in_batch
from ballots.services.sheets import (
    SUBMIT,
    OpenSheets,
    choose_sheet_status,
    cross_check_station,
    keep_numbers,
    new_sheet,
    sheet_body,
    sheet_request,
    snapshot_sheet,
    vote_rows,
)
from elections.models import Contest, Election
from trust.audit import appended_at_end
from trust.changes import note_results_changed
from trust.errors import DomainError, EntryRejected
from trust.idempotency import Recorded, fingerprint_request, require_valid_key
from trust.models import IdempotencyRecord
from trust.roles import Actor, require_user

Status = TallySheet.Status
# A county's file is a few thousand sheets: a handful of requests. A larger batch would hold its stations' locks for
# longer than a clerk should wait for one of them.
MAX_SHEET_BATCH = 1000


@dataclass(frozen=True)
class SheetEntry:
    """One sheet of a batch, with its own idempotency key; the numbers as ``submit_tally_sheet`` takes them."""

    station_id: int
    contest_id: int
    ballots_cast: int
    idempotency_key: str
    blank: int = 0
    invalid: int = 0
    votes: Mapping[int, int] | None = None
    undervotes: int = 0
    overvotes: int = 0
    votes_by_type: Mapping[int, Mapping[str, int]] | None = None
    reason: str = ""


@dataclass(frozen=True)
class SheetOutcome:
    """What happened to one sheet of a batch: entered (possibly as a replay) or refused with an error."""

    index: int
    recorded: Recorded[TallySheet] | None
    error: DomainError | None


class ContestNotFound(EntryRejected):
    """A batch's sheet names a contest that does not exist."""

    code = "not_found"


@dataclass
class _Item:
    index: int
    entry: SheetEntry
    fingerprint: str
    record: IdempotencyRecord | None = None


@dataclass
class _Planned:
    """A sheet checked and ready to write: its new version and what it does to the versions before it."""

    item: _Item
    operation: EntryOperation
    contest: Contest
    sheet: TallySheet
    numbers: SheetNumbers
    superseded: list[TallySheet]
    to_review: list[TallySheet]
    # The statuses of the versions it changes, as they were: the audit event's "before".
    before: dict[str, Any]


def submit_tally_sheets(
    *, items: Sequence[SheetEntry], actor: Actor, client_address: str | None = None
) -> list[SheetOutcome]:
    """Enter many tally sheets; each is its own entry with its own key and gets its own outcome, in the order given.
    A key sent twice in one batch is one entry: the second gets the first's answer (a replay), or is refused as a
    reused key when its sheet differs. More than ``MAX_SHEET_BATCH`` sheets are refused whole."""
    user = require_user(actor)
    if len(items) > MAX_SHEET_BATCH:
        raise EntryRejected(
            _("Send at most %(max)d tally sheets at once.") % {"max": MAX_SHEET_BATCH},
            code="batch_too_large",
            details={"field": "items", "max": MAX_SHEET_BATCH},
        )
    outcomes: dict[int, SheetOutcome] = {}
    firsts: dict[str, _Item] = {}
    repeats: list[_Item] = []
    for index, entry in enumerate(items):
        try:
            require_valid_key(entry.idempotency_key)
        except EntryRejected as error:
            outcomes[index] = SheetOutcome(index=index, recorded=None, error=error)
            continue
        item = _Item(index, entry, fingerprint_request(SUBMIT, _request_of(entry)))
        if entry.idempotency_key in firsts:
            repeats.append(item)
        else:
            firsts[entry.idempotency_key] = item
    context = BatchContext(user=user, client_address=client_address)
    with transaction.atomic(), appended_at_end():
        fresh = _claim_keys(context, list(firsts.values()), outcomes)
        read_batch(
            context,
            station_ids=(item.entry.station_id for item in fresh),
            contest_ids={item.entry.contest_id for item in fresh},
        )
        for round_items in _rounds(fresh):
            _enter_round(context, round_items, outcomes)
        _store_answers(fresh, outcomes)
        changed = {context.stations[i.entry.station_id].election for i in fresh if _accepted(outcomes, i)}
        for election in sorted(changed, key=lambda e: e.pk):
            note_results_changed(election_id=election.pk, election_slug=election.slug)
    for item in repeats:
        outcomes[item.index] = _repeat_outcome(item, firsts[item.entry.idempotency_key], outcomes)
    return [outcomes[index] for index in range(len(items))]


def _request_of(entry: SheetEntry) -> dict[str, Any]:
    return sheet_request(
        station_id=entry.station_id,
        contest_id=entry.contest_id,
        ballots_cast=entry.ballots_cast,
        blank=entry.blank,
        invalid=entry.invalid,
        votes=entry.votes,
        reason=entry.reason,
        undervotes=entry.undervotes,
        overvotes=entry.overvotes,
        votes_by_type=entry.votes_by_type,
    )


def _accepted(outcomes: dict[int, SheetOutcome], item: _Item) -> bool:
    outcome = outcomes.get(item.index)
    return outcome is not None and outcome.recorded is not None and not outcome.recorded.replayed


def _repeat_outcome(item: _Item, first: _Item, outcomes: dict[int, SheetOutcome]) -> SheetOutcome:
    if item.fingerprint != first.fingerprint:
        error = EntryRejected(
            _("This idempotency key was already used for a different request."),
            code="idempotency_key_reused",
            details={"field": "idempotency_key"},
        )
        return SheetOutcome(index=item.index, recorded=None, error=error)
    answer = outcomes[first.index]
    if answer.recorded is None:
        return SheetOutcome(index=item.index, recorded=None, error=answer.error)
    recorded = answer.recorded
    return SheetOutcome(
        index=item.index,
        recorded=Recorded(obj=recorded.obj, created=recorded.created, body=recorded.body, replayed=True),
        error=None,
    )


def _claim_keys(context: BatchContext, items: list[_Item], outcomes: dict[int, SheetOutcome]) -> list[_Item]:
    """Claim every new key in one insert, in the order of the keys; answer the used ones as replays. Returns the
    items to enter. A key claimed meanwhile by a request still under way makes the insert wait for it, then fail:
    that key then replays too, and the others are claimed again."""
    remaining = sorted(items, key=lambda item: item.entry.idempotency_key)
    for _attempt in range(len(items) + 1):
        remaining = _answer_replays(context, remaining, outcomes)
        if not remaining:
            return []
        now = timezone.now()
        records = [
            IdempotencyRecord(
                actor=context.user,
                key=item.entry.idempotency_key,
                operation=SUBMIT,
                fingerprint=item.fingerprint,
                created=None,
                response_body={},
                created_at=now,
            )
            for item in remaining
        ]
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.bulk_create(records)
        except IntegrityError:
            continue
        for item, record in zip(remaining, records, strict=True):
            item.record = record
        return sorted(remaining, key=lambda item: item.index)
    raise EntryRejected(
        _("Another entry was made at the same moment. Reload and try again."),
        code="idempotency_conflict",
        details={"field": "idempotency_key"},
    )


def _answer_replays(context: BatchContext, items: list[_Item], outcomes: dict[int, SheetOutcome]) -> list[_Item]:
    """Answer the items whose key is used already (as ``run_idempotently`` replays) and return the others."""
    keys = [item.entry.idempotency_key for item in items]
    used = {r.key: r for r in IdempotencyRecord.objects.filter(actor=context.user, key__in=keys)}
    if not used:
        return items
    sheet_ids = [r.response_body.get("sheet_id") for r in used.values() if r.operation == SUBMIT]
    sheets = TallySheet.objects.in_bulk([pk for pk in sheet_ids if pk is not None])
    rest: list[_Item] = []
    for item in items:
        record = used.get(item.entry.idempotency_key)
        if record is None:
            rest.append(item)
            continue
        sheet = sheets.get((record.response_body or {}).get("sheet_id"))
        if record.operation != SUBMIT or record.fingerprint != item.fingerprint or sheet is None:
            error = EntryRejected(
                _("This idempotency key was already used for a different request."),
                code="idempotency_key_reused",
                details={"field": "idempotency_key"},
            )
            outcomes[item.index] = SheetOutcome(index=item.index, recorded=None, error=error)
            continue
        body = dict(record.response_body)
        recorded = Recorded(obj=sheet, created=bool(record.created), body=body, replayed=True)
        outcomes[item.index] = SheetOutcome(index=item.index, recorded=recorded, error=None)
    return rest


def _rounds(items: list[_Item]) -> list[list[_Item]]:
    """The items in rounds where each station and contest comes once, in the order given."""
    rounds: list[list[_Item]] = []
    seen: dict[tuple[int, int], int] = defaultdict(int)
    for item in items:
        pair = (item.entry.station_id, item.entry.contest_id)
        if seen[pair] == len(rounds):
            rounds.append([])
        rounds[seen[pair]].append(item)
        seen[pair] += 1
    return rounds


def _plan(context: BatchContext, item: _Item, sheets: OpenSheets) -> _Planned:
    """Check one sheet as ``submit_tally_sheet`` does, in memory; raise the error it would raise."""
    entry = item.entry
    station = context.stations.get(entry.station_id)
    if station is None:
        raise StationNotFound(_("There is no such polling station."), details={"field": "station"})
    contest = context.contests.get(entry.contest_id)
    if contest is None:
        raise ContestNotFound(_("There is no such contest."), details={"field": "contest"})
    if station.pk not in context.windows:
        context.windows[station.pk] = require_entry_window(context.user, station)
    operation = EntryOperation(
        user=context.user,
        station=station,
        after_close=context.windows[station.pk],
        idempotency_key=entry.idempotency_key,
        client_address=context.client_address,
    )
    require_counting_method(station, ballots=False)
    if station.pk not in context.covered[contest.pk]:
        # The rule itself says why, as it would for a single sheet.
        require_contest_at_station(contest, station)
    numbers = validate_sheet_numbers(
        station=station,
        contest=contest,
        ballots_cast=entry.ballots_cast,
        blank=entry.blank,
        invalid=entry.invalid,
        votes=entry.votes,
        undervotes=entry.undervotes,
        overvotes=entry.overvotes,
        votes_by_type=entry.votes_by_type,
        candidate_ids=context.candidates[contest.pk],
        vote_types=context.vote_types[station.election_id],
    )
    has_current = bool(sheets[Status.ACCEPTED] or sheets[Status.QUARANTINED])
    correction = is_sheet_correction(election=station.election, has_current_sheet=has_current)
    reason = require_reason(entry.reason) if correction else clean_text(entry.reason)
    status, superseded, to_review = choose_sheet_status(
        operation, sheets=sheets, numbers=numbers, supervising=supervises_in_batch(context, station)
    )
    sheet = new_sheet(operation, contest=contest, sheets=sheets, numbers=numbers, status=status, reason=reason)
    before = {"versions": {s.version: s.status for s in superseded + to_review}}
    return _Planned(item, operation, contest, sheet, numbers, superseded, to_review, before)


def _enter_round(context: BatchContext, items: list[_Item], outcomes: dict[int, SheetOutcome]) -> None:
    """Check each sheet of the round, then write the accepted ones in bulk: the versions they replace first (a
    station and contest has one current version at any moment), then the new versions and their votes, then one
    audit event per sheet, in the order given, each with the digest of the rows it wrote."""
    open_sheets = read_open_sheets({(item.entry.station_id, item.entry.contest_id) for item in items})
    planned: list[_Planned] = []
    for item in items:
        try:
            planned.append(_plan(context, item, open_sheets[(item.entry.station_id, item.entry.contest_id)]))
        except DomainError as error:
            outcomes[item.index] = SheetOutcome(index=item.index, recorded=None, error=error)
    if not planned:
        return
    for status, attribute in ((Status.SUPERSEDED, "superseded"), (Status.NEEDS_REVIEW, "to_review")):
        changed = [sheet for p in planned for sheet in getattr(p, attribute)]
        if changed:
            TallySheet.objects.filter(pk__in=[sheet.pk for sheet in changed]).update(status=status)
            for sheet in changed:
                sheet.status = status
    sheets = TallySheet.objects.bulk_create([p.sheet for p in planned])
    votes, by_type = vote_rows(zip(sheets, (p.numbers for p in planned), strict=True))
    TallySheetVote.objects.bulk_create(votes)
    TallySheetVoteByType.objects.bulk_create(by_type)
    codes = {election_id: {pk: code for code, pk in types.items()} for election_id, types in context.vote_types.items()}
    for p in planned:
        _audit_planned(p, codes[p.operation.station.election_id], outcomes)


def _audit_planned(p: _Planned, codes: dict[int, str], outcomes: dict[int, SheetOutcome]) -> None:
    sheet = p.sheet
    keep_numbers(sheet, p.numbers)
    replaced = {s.version: s.status for s in p.superseded + p.to_review}
    snapshot = snapshot_sheet(sheet, vote_type_codes=codes)
    p.operation.record_change(
        action=SUBMIT,
        obj=sheet,
        before=p.before,
        after=snapshot,
        also_changed=p.superseded + p.to_review,
        bulk_created=True,
    )
    if sheet.status == Status.ACCEPTED and p.operation.station.election.counting_method == Election.CountingMethod.BOTH:
        cross_check_station(p.operation, contest=p.contest, current=sheet)
        # The cross-check may have quarantined it.
        snapshot = snapshot_sheet(sheet, vote_type_codes=codes)
    answer = sheet_body(sheet, replaced, snapshot=snapshot)
    recorded = Recorded(obj=sheet, created=True, body=answer, replayed=False)
    outcomes[p.item.index] = SheetOutcome(index=p.item.index, recorded=recorded, error=None)


def _store_answers(items: list[_Item], outcomes: dict[int, SheetOutcome]) -> None:
    """Keep each entered sheet's answer under its key; give back the keys of the refused ones, as a refused single
    entry stores nothing, so that the client may correct the sheet and send it again under the same key. The claims
    are replaced by the answers in two statements (an update of each row would be one statement per sheet, or one
    costly CASE over them all); inside this transaction the keys stay held all along."""
    claims: list[int] = []
    answers: list[IdempotencyRecord] = []
    for item in items:
        record = item.record
        if record is None:
            continue
        claims.append(record.pk)
        recorded = outcomes[item.index].recorded
        if recorded is not None:
            record.pk, record.created, record.response_body = None, recorded.created, recorded.body
            answers.append(record)
    if claims:
        IdempotencyRecord.objects.filter(pk__in=claims).delete()
    if answers:
        IdempotencyRecord.objects.bulk_create(answers)
