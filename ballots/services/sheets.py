"""Tally sheets: entry and double entry, corrections as new versions, and the cross-check against the ballots; with
the helpers the review services share (a sheet's versions, its audit snapshot, its answer)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.models import TallySheet, TallySheetVote, TallySheetVoteByType
from ballots.rules import (
    SheetNumbers,
    clean_text,
    is_sheet_correction,
    require_contest_at_station,
    require_counting_method,
    require_reason,
    validate_sheet_numbers,
)
from ballots.selectors import count_ballots, describe_difference, is_count_complete, sheet_numbers
from ballots.selectors.sheet_steps import refuse_sheet_entry
from ballots.services.locking import station_id_of
from ballots.services.operation import EntryOperation, run_entry
from elections.models import Contest, Election, PollingStation, VoteType
from elections.selectors import supervises
from trust.idempotency import Answer, Recorded
from trust.roles import Actor

Status = TallySheet.Status
SUBMIT = "tally_sheet.submit"


def _numbers_of(sheet: TallySheet) -> SheetNumbers:
    # A version's votes never change once written, so they are read at most once per object.
    votes: dict[int, int] | None = getattr(sheet, "_votes", None)
    by_type: dict[int, dict[int, int]] | None = getattr(sheet, "_votes_by_type", None)
    if votes is None:
        votes = dict(sheet.votes.values_list("candidate_id", "votes"))
        sheet._votes = votes  # type: ignore[attr-defined]
    if by_type is None:
        by_type = {}
        for candidate_id, vote_type_id, n in sheet.votes_by_type.values_list("candidate_id", "vote_type_id", "votes"):
            by_type.setdefault(candidate_id, {})[vote_type_id] = n
        sheet._votes_by_type = by_type  # type: ignore[attr-defined]
    return SheetNumbers(
        sheet.ballots_cast, sheet.blank, sheet.invalid, dict(votes), sheet.undervotes, sheet.overvotes, by_type
    )


def snapshot_sheet(sheet: TallySheet, *, vote_type_codes: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The sheet as its audit events and answers show it. ``vote_type_codes`` (code by id, of the sheet's election)
    is read here when the sheet has votes by type, unless the caller read it already."""
    numbers = _numbers_of(sheet)
    snapshot: dict[str, Any] = {
        "version": sheet.version,
        "status": sheet.status,
        "ballots_cast": numbers.ballots_cast,
        "blank": numbers.blank,
        "invalid": numbers.invalid,
        "votes": {str(k): v for k, v in sorted(numbers.votes.items())},
        "reason": sheet.reason,
        "quarantine_reason": sheet.quarantine_reason,
    }
    # Only where used, so that the records of elections without them keep their shape.
    if numbers.undervotes or numbers.overvotes:
        snapshot["undervotes"], snapshot["overvotes"] = numbers.undervotes, numbers.overvotes
    if numbers.by_type:
        # By code, as clients send them; the codes of an election's types are fixed once it has sheets.
        codes = (
            vote_type_codes
            if vote_type_codes is not None
            else dict(VoteType.objects.filter(election_id=sheet.contest.election_id).values_list("pk", "code"))
        )
        snapshot["votes_by_type"] = {
            str(candidate_id): {codes[type_id]: n for type_id, n in sorted(per_type.items())}
            for candidate_id, per_type in sorted(numbers.by_type.items())
        }
    return snapshot


def set_sheet_status(sheets: list[TallySheet], status: str) -> None:
    for sheet in sheets:
        sheet.status = status
        sheet.save(update_fields=["status"])


class OpenSheets(dict[str, list[TallySheet]]):
    """A station's versions of a contest's sheet by status, oldest first, and the newest version number (0 before
    the first). Superseded versions are left out, but for the newest: they never change again, and a sheet corrected
    all night has many."""

    latest_version: int = 0


def open_or_newest_sheets(**filters: Any) -> QuerySet[TallySheet]:
    """The versions matching ``filters`` that are not superseded, and the newest of each station and contest, oldest
    first: what ``OpenSheets`` holds, in one query over the (station, contest, version) index."""
    newest = TallySheet.objects.filter(station=OuterRef("station"), contest=OuterRef("contest")).order_by("-version")
    # Ordered by version alone: the model's ordering would join the station, the contest and both their elections.
    return (
        TallySheet.objects.filter(**filters)
        .filter(~Q(status=Status.SUPERSEDED) | Q(version=Subquery(newest.values("version")[:1])))
        .order_by("version")
    )


def list_open_sheets(station: PollingStation, contest: Contest) -> OpenSheets:
    found = OpenSheets({status: [] for status in Status.values})
    for sheet in open_or_newest_sheets(station=station, contest=contest):
        found[sheet.status].append(sheet)
        found.latest_version = sheet.version
    return found


def new_sheet(
    entry: EntryOperation, *, contest: Contest, sheets: OpenSheets, numbers: SheetNumbers, status: str, reason: str
) -> TallySheet:
    """The next version after ``sheets.latest_version`` (read under the station's lock), not saved yet; one sheet
    saves it with ``create_sheet``, a batch with the others of its round."""
    return TallySheet(
        station=entry.station,
        contest=contest,
        version=sheets.latest_version + 1,
        ballots_cast=numbers.ballots_cast,
        blank=numbers.blank,
        invalid=numbers.invalid,
        undervotes=numbers.undervotes,
        overvotes=numbers.overvotes,
        status=status,
        entered_by=entry.user,
        entered_at=timezone.now(),
        reason=reason,
        idempotency_key=entry.idempotency_key,
    )


def vote_rows(
    saved: Iterable[tuple[TallySheet, SheetNumbers]],
) -> tuple[list[TallySheetVote], list[TallySheetVoteByType]]:
    """The vote rows of sheets just saved: one per candidate, and one per candidate and vote type."""
    votes: list[TallySheetVote] = []
    by_type: list[TallySheetVoteByType] = []
    for sheet, numbers in saved:
        votes += [TallySheetVote(sheet=sheet, candidate_id=cid, votes=n) for cid, n in sorted(numbers.votes.items())]
        by_type += [
            TallySheetVoteByType(sheet=sheet, candidate_id=cid, vote_type_id=type_id, votes=n)
            for cid, per_type in sorted(numbers.by_type.items())
            for type_id, n in sorted(per_type.items())
        ]
    return votes, by_type


def keep_numbers(sheet: TallySheet, numbers: SheetNumbers) -> None:
    """Hold the sheet's votes on it, so that its audit snapshot reads them without a query."""
    sheet._votes = dict(numbers.votes)  # type: ignore[attr-defined]
    sheet._votes_by_type = {cid: dict(per_type) for cid, per_type in numbers.by_type.items()}  # type: ignore[attr-defined]


def create_sheet(
    entry: EntryOperation, *, contest: Contest, sheets: OpenSheets, numbers: SheetNumbers, status: str, reason: str
) -> TallySheet:
    """Insert the next version after ``sheets.latest_version`` (read under the station's lock) with its votes."""
    sheet = new_sheet(entry, contest=contest, sheets=sheets, numbers=numbers, status=status, reason=reason)
    sheet.save(force_insert=True)
    votes, by_type = vote_rows([(sheet, numbers)])
    TallySheetVote.objects.bulk_create(votes)
    TallySheetVoteByType.objects.bulk_create(by_type)
    keep_numbers(sheet, numbers)
    return sheet


def sheet_body(
    sheet: TallySheet, replaced: Mapping[int, str], *, snapshot: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The answer to a sheet's entry; ``snapshot``: the sheet's ``snapshot_sheet`` when the caller made it already."""
    shown = snapshot if snapshot is not None else snapshot_sheet(sheet)
    return {"sheet_id": sheet.pk, **shown, "other_versions": {str(k): v for k, v in replaced.items()}}


def load_sheet(body: dict[str, Any]) -> TallySheet:
    return TallySheet.objects.get(pk=body["sheet_id"])


def audit_sheet(
    entry: EntryOperation,
    *,
    action: str,
    sheet: TallySheet,
    before: dict[str, Any] | None,
    snapshot: dict[str, Any] | None = None,
) -> None:
    """Audit a change of ``sheet``; ``snapshot``: its ``snapshot_sheet`` when the caller made it already."""
    entry.record_change(action=action, obj=sheet, before=before, after=snapshot or snapshot_sheet(sheet))


def cross_check_station(entry: EntryOperation, *, contest: Contest, current: TallySheet | None = None) -> None:
    """Where an election counts both ways, quarantine a sheet that differs from the completed ballots (and release
    one that this check quarantined once they agree). ``current``: the station's current sheet when the caller has
    it in hand; it is then updated in place."""
    station = entry.station
    if station.election.counting_method != Election.CountingMethod.BOTH:
        return
    sheet = current or (
        TallySheet.objects.filter(station=station, contest=contest, status__in=TallySheet.CURRENT_STATUSES).first()
    )
    if sheet is None or not is_count_complete(station=station, contest=contest):
        return
    names = dict(contest.candidates.values_list("pk", "name_en"))
    difference = describe_difference(count_ballots(station=station, contest=contest), sheet_numbers(sheet), names)
    before = snapshot_sheet(sheet)
    if difference and sheet.status == Status.ACCEPTED:
        sheet.status = Status.QUARANTINED
        sheet.quarantine_reason = _("The ballots entered differ from the tally sheet: %(difference)s.") % {
            "difference": difference
        }
        sheet.quarantined_automatically = True
        action = "tally_sheet.quarantine_by_cross_check"
    elif not difference and sheet.status == Status.QUARANTINED and sheet.quarantined_automatically:
        sheet.status, sheet.quarantine_reason, sheet.quarantined_automatically = Status.ACCEPTED, "", False
        action = "tally_sheet.release_by_cross_check"
    else:
        return
    sheet.save(update_fields=["status", "quarantine_reason", "quarantined_automatically"])
    audit_sheet(entry, action=action, sheet=sheet, before=before)


def choose_sheet_status(
    entry: EntryOperation, *, sheets: OpenSheets, numbers: SheetNumbers, supervising: bool | None = None
) -> tuple[str, list[TallySheet], list[TallySheet]]:
    """The new version's status, the versions it supersedes and those it sends to review. ``supervising``: whether
    the user supervises the station, when the caller knows it already; read here when it is needed otherwise."""
    current = sheets[Status.ACCEPTED] + sheets[Status.QUARANTINED]
    pending = sheets[Status.PENDING_SECOND_ENTRY]
    # The same rule the entry pages read to offer only the step that will be taken.
    refusal = refuse_sheet_entry(
        in_review=bool(sheets[Status.NEEDS_REVIEW]),
        first_entry_by_id=pending[0].entered_by_id if pending else None,
        user_id=entry.user.pk,
        after_close=entry.after_close,
    )
    if refusal is not None:
        raise refusal
    if entry.after_close:
        return Status.ACCEPTED, current + pending, []
    if pending:
        first = pending[0]
        if _numbers_of(first) == numbers:
            return Status.ACCEPTED, [first, *current], []
        return Status.NEEDS_REVIEW, [], [first]
    if current:
        # A clerk's correction waits for a supervisor; the accepted version keeps counting meanwhile.
        if supervising is None:
            supervising = supervises(entry.user, entry.station)
        return (Status.ACCEPTED, current, []) if supervising else (Status.NEEDS_REVIEW, [], [])
    if entry.station.election.double_entry:
        return Status.PENDING_SECOND_ENTRY, [], []
    return Status.ACCEPTED, [], []


def sheet_request(
    *,
    station_id: int,
    contest_id: int,
    ballots_cast: int,
    blank: int,
    invalid: int,
    votes: Mapping[int, int] | None,
    reason: str,
    undervotes: int,
    overvotes: int,
    votes_by_type: Mapping[int, Mapping[str, int]] | None,
) -> dict[str, Any]:
    """What a sheet's idempotency key is held to: a sheet sent alone or in a batch under one key is one request."""
    request: dict[str, Any] = {
        "station": station_id,
        "contest": contest_id,
        "ballots_cast": ballots_cast,
        "blank": blank,
        "invalid": invalid,
        "votes": {str(k): v for k, v in (votes or {}).items()},
        "reason": reason,
    }
    # Only when given, so that a retry from a client that never sends them hashes as it always did.
    if undervotes or overvotes:
        request["undervotes"], request["overvotes"] = undervotes, overvotes
    if votes_by_type:
        request["votes_by_type"] = {
            str(k): {str(t): n for t, n in per_type.items()} if isinstance(per_type, Mapping) else per_type
            for k, per_type in votes_by_type.items()
        }
    return request


def submit_tally_sheet(
    *,
    station: PollingStation | int,
    contest: Contest,
    ballots_cast: int,
    blank: int,
    invalid: int,
    votes: Mapping[int, int] | None,
    actor: Actor,
    idempotency_key: str,
    reason: str = "",
    client_address: str | None = None,
    undervotes: int = 0,
    overvotes: int = 0,
    votes_by_type: Mapping[int, Mapping[str, int]] | None = None,
) -> Recorded[TallySheet]:
    """Enter a tally sheet: a first entry, the second of a double entry, or a correction (a new version with a
    reason). Where double entry applies, equal entries are accepted and different ones go to review. ``station``
    may be given by id: it is read under the lock either way. Where the election reports vote types,
    ``votes_by_type`` gives each candidate's votes per vote type code, and ``votes`` may be left out."""

    def perform(entry: EntryOperation) -> Answer[TallySheet]:
        locked = entry.station
        require_counting_method(locked, ballots=False)
        require_contest_at_station(contest, locked)
        numbers = validate_sheet_numbers(
            station=locked,
            contest=contest,
            ballots_cast=ballots_cast,
            blank=blank,
            invalid=invalid,
            votes=votes,
            undervotes=undervotes,
            overvotes=overvotes,
            votes_by_type=votes_by_type,
        )
        sheets = list_open_sheets(locked, contest)
        has_current = bool(sheets[Status.ACCEPTED] or sheets[Status.QUARANTINED])
        correction = is_sheet_correction(election=locked.election, has_current_sheet=has_current)
        clean_reason = require_reason(reason) if correction else clean_text(reason)
        status, superseded, to_review = choose_sheet_status(entry, sheets=sheets, numbers=numbers)
        before = {"versions": {s.version: s.status for s in superseded + to_review}}
        set_sheet_status(superseded, Status.SUPERSEDED)
        set_sheet_status(to_review, Status.NEEDS_REVIEW)
        sheet = create_sheet(entry, contest=contest, sheets=sheets, numbers=numbers, status=status, reason=clean_reason)
        replaced = {s.version: s.status for s in superseded + to_review}
        snapshot = snapshot_sheet(sheet)
        audit_sheet(entry, action=SUBMIT, sheet=sheet, before=before, snapshot=snapshot)
        if status == Status.ACCEPTED and locked.election.counting_method == Election.CountingMethod.BOTH:
            cross_check_station(entry, contest=contest, current=sheet)
            # The cross-check may have quarantined it.
            snapshot = snapshot_sheet(sheet)
        return Answer(obj=sheet, created=True, body=sheet_body(sheet, replaced, snapshot=snapshot))

    request = sheet_request(
        station_id=station_id_of(station),
        contest_id=contest.pk,
        ballots_cast=ballots_cast,
        blank=blank,
        invalid=invalid,
        votes=votes,
        reason=reason,
        undervotes=undervotes,
        overvotes=overvotes,
        votes_by_type=votes_by_type,
    )
    return run_entry(
        operation=SUBMIT,
        station=station,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request=request,
        perform=perform,
        load=load_sheet,
    )
