"""Tally sheets: entry and double entry, corrections as new versions, review, quarantine and the ballots cross-check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.entry import (
    Actor,
    clean_text,
    is_sheet_correction,
    lock_station,
    record_change,
    require_contest_at_station,
    require_counting_method,
    require_entry_window,
    require_reason,
    require_user,
    station_id_of,
    supervises,
)
from ballots.models import TallySheet, TallySheetVote
from ballots.selectors import count_ballots, describe_difference, is_count_complete, sheet_numbers
from elections.models import Contest, Election, PollingStation
from trust.errors import EntryRejected
from trust.idempotency import Recorded, run_idempotently

Status = TallySheet.Status
SheetNumbers = tuple[int, int, int, dict[int, int]]


def _require_count(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise EntryRejected(_("Enter a whole number."), code="not_a_number", details={"field": field})
    if value < 0:
        raise EntryRejected(_("This cannot be negative."), code="negative", details={"field": field})
    return value


def validate_sheet_numbers(
    *, station: PollingStation, contest: Contest, ballots_cast: int, blank: int, invalid: int, votes: Mapping[int, int]
) -> SheetNumbers:
    """Check a sheet's numbers; the error names the field (``votes`` errors also name the candidate)."""
    ballots_cast = _require_count(ballots_cast, "ballots_cast")
    blank = _require_count(blank, "blank")
    invalid = _require_count(invalid, "invalid")
    # order_by(): a set needs no order, and the model's ordering would join the contest and the election.
    candidate_ids = set(contest.candidates.order_by().values_list("pk", flat=True))
    unknown = sorted(set(votes) - candidate_ids, key=str)
    if unknown:
        raise EntryRejected(
            _("A candidate on this sheet does not stand in this contest."),
            code="candidate_not_in_contest",
            details={"field": "votes", "candidate_ids": unknown},
        )
    clean: dict[int, int] = {}
    for candidate_id in sorted(candidate_ids):
        if candidate_id not in votes:
            raise EntryRejected(
                _("Enter the votes of every candidate (0 if none)."),
                code="votes_missing",
                details={"field": "votes", "candidate_id": candidate_id},
            )
        clean[candidate_id] = _require_count(votes[candidate_id], "votes")
    if ballots_cast > station.registered_voters:
        raise EntryRejected(
            _("Ballots cast (%(cast)d) cannot exceed the %(registered)d registered voters.")
            % {"cast": ballots_cast, "registered": station.registered_voters},
            code="ballots_cast_above_registered",
            details={"field": "ballots_cast", "registered_voters": station.registered_voters},
        )
    if blank + invalid > ballots_cast:
        raise EntryRejected(
            _("Blank and invalid ballots together cannot exceed ballots cast."),
            code="sheet_does_not_add_up",
            details={"field": "ballots_cast"},
        )
    valid = ballots_cast - blank - invalid
    total = sum(clean.values())
    # With one choice per ballot the sheet must add up exactly; with more, each valid ballot gives up to max_choices.
    if contest.max_choices == 1 and total != valid:
        raise EntryRejected(
            _("Votes (%(votes)d) + blank (%(blank)d) + invalid (%(invalid)d) must equal ballots cast (%(cast)d).")
            % {"votes": total, "blank": blank, "invalid": invalid, "cast": ballots_cast},
            code="sheet_does_not_add_up",
            details={"field": "ballots_cast", "expected": total + blank + invalid},
        )
    over = [cid for cid, n in clean.items() if n > valid]
    if total > valid * contest.max_choices or over:
        raise EntryRejected(
            _("There are more votes than the valid ballots allow."),
            code="sheet_does_not_add_up",
            details={"field": "votes", "candidate_ids": over},
        )
    return ballots_cast, blank, invalid, clean


def _numbers_of(sheet: TallySheet) -> SheetNumbers:
    # A version's votes never change once written, so they are read at most once per object.
    votes: dict[int, int] | None = getattr(sheet, "_votes", None)
    if votes is None:
        votes = dict(sheet.votes.values_list("candidate_id", "votes"))
        sheet._votes = votes  # type: ignore[attr-defined]
    return sheet.ballots_cast, sheet.blank, sheet.invalid, dict(votes)


def snapshot_sheet(sheet: TallySheet) -> dict[str, Any]:
    cast, blank, invalid, votes = _numbers_of(sheet)
    return {
        "version": sheet.version,
        "status": sheet.status,
        "ballots_cast": cast,
        "blank": blank,
        "invalid": invalid,
        "votes": {str(k): v for k, v in sorted(votes.items())},
        "reason": sheet.reason,
        "quarantine_reason": sheet.quarantine_reason,
    }


def set_sheet_status(sheets: list[TallySheet], status: str) -> None:
    for sheet in sheets:
        sheet.status = status
        sheet.save(update_fields=["status"])


def create_sheet(
    *,
    station: PollingStation,
    contest: Contest,
    sheets: OpenSheets,
    numbers: SheetNumbers,
    status: str,
    user: User,
    reason: str,
    key: str,
) -> TallySheet:
    """Insert the next version after ``sheets.latest_version`` (read under the station's lock) with its votes."""
    cast, blank, invalid, votes = numbers
    sheet = TallySheet.objects.create(
        station=station,
        contest=contest,
        version=sheets.latest_version + 1,
        ballots_cast=cast,
        blank=blank,
        invalid=invalid,
        status=status,
        entered_by=user,
        entered_at=timezone.now(),
        reason=reason,
        idempotency_key=key,
    )
    TallySheetVote.objects.bulk_create(
        [TallySheetVote(sheet=sheet, candidate_id=cid, votes=n) for cid, n in sorted(votes.items())]
    )
    sheet._votes = dict(votes)  # type: ignore[attr-defined]
    return sheet


class OpenSheets(dict[str, list[TallySheet]]):
    """A station's versions of a contest's sheet by status (superseded ones too), oldest first, and the newest
    version number (0 before the first)."""

    latest_version: int = 0


def list_open_sheets(station: PollingStation, contest: Contest) -> OpenSheets:
    found = OpenSheets({status: [] for status in Status.values})
    # Every version in one query, superseded ones too, for the newest number: a station has a handful at most. Ordered
    # by version alone: the model's ordering would join the station, the contest and both their elections.
    for sheet in TallySheet.objects.filter(station=station, contest=contest).order_by("version"):
        found[sheet.status].append(sheet)
        found.latest_version = sheet.version
    return found


def sheet_body(sheet: TallySheet, replaced: Mapping[int, str]) -> dict[str, Any]:
    return {"sheet_id": sheet.pk, **snapshot_sheet(sheet), "other_versions": {str(k): v for k, v in replaced.items()}}


def load_sheet(body: dict[str, Any]) -> TallySheet:
    return TallySheet.objects.get(pk=body["sheet_id"])


def audit_sheet(
    *, action: str, sheet: TallySheet, before: dict[str, Any] | None, user: User, client_address: str | None, key: str
) -> dict[str, Any]:
    after = snapshot_sheet(sheet)
    record_change(
        action=action,
        obj=sheet,
        user=user,
        station=sheet.station,
        before=before,
        after=after,
        client_address=client_address,
        idempotency_key=key,
    )
    return after


def cross_check_station(
    *,
    station: PollingStation,
    contest: Contest,
    user: User,
    client_address: str | None,
    idempotency_key: str,
    current: TallySheet | None = None,
) -> None:
    """Where an election counts both ways, quarantine a sheet that differs from the completed ballots (and release
    one that this check quarantined once they agree). ``current``: the station's current sheet when the caller has
    it in hand; it is then updated in place."""
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
    audit_sheet(
        action=action, sheet=sheet, before=before, user=user, client_address=client_address, key=idempotency_key
    )


def _choose_status(
    *, sheets: OpenSheets, numbers: SheetNumbers, user: User, station: PollingStation, correction: bool
) -> tuple[str, list[TallySheet], list[TallySheet]]:
    """The new version's status, the versions it supersedes and those it sends to review."""
    current = sheets[Status.ACCEPTED] + sheets[Status.QUARANTINED]
    pending = sheets[Status.PENDING_SECOND_ENTRY]
    if sheets[Status.NEEDS_REVIEW]:
        raise EntryRejected(
            _("This sheet is waiting for a supervisor's review; it cannot take another entry now."),
            code="sheet_in_review",
        )
    if correction:
        return Status.ACCEPTED, current + pending, []
    if pending:
        first = pending[0]
        if first.entered_by_id == user.pk:
            raise EntryRejected(
                _("The second entry must be made by someone other than the first."), code="second_entry_same_person"
            )
        if _numbers_of(first) == numbers:
            return Status.ACCEPTED, [first, *current], []
        return Status.NEEDS_REVIEW, [], [first]
    if current:
        # A clerk's correction waits for a supervisor; the accepted version keeps counting meanwhile.
        return (Status.ACCEPTED, current, []) if supervises(user, station) else (Status.NEEDS_REVIEW, [], [])
    if station.election.double_entry:
        return Status.PENDING_SECOND_ENTRY, [], []
    return Status.ACCEPTED, [], []


def submit_tally_sheet(
    *,
    station: PollingStation | int,
    contest: Contest,
    ballots_cast: int,
    blank: int,
    invalid: int,
    votes: Mapping[int, int],
    actor: Actor,
    idempotency_key: str,
    reason: str = "",
    client_address: str | None = None,
) -> Recorded[TallySheet]:
    """Enter a tally sheet: a first entry, the second of a double entry, or a correction (a new version with a
    reason). Where double entry applies, equal entries are accepted and different ones go to review."""
    user = require_user(actor)

    def perform() -> tuple[TallySheet, int, dict[str, Any]]:
        _user, locked = lock_station(station, user)
        after_close = require_entry_window(user, locked)
        require_counting_method(locked, ballots=False)
        require_contest_at_station(contest, locked)
        numbers = validate_sheet_numbers(
            station=locked, contest=contest, ballots_cast=ballots_cast, blank=blank, invalid=invalid, votes=votes
        )
        sheets = list_open_sheets(locked, contest)
        has_current = bool(sheets[Status.ACCEPTED] or sheets[Status.QUARANTINED])
        correction = is_sheet_correction(election=locked.election, has_current_sheet=has_current)
        clean_reason = require_reason(reason) if correction else clean_text(reason)
        status, superseded, to_review = _choose_status(
            sheets=sheets, numbers=numbers, user=user, station=locked, correction=after_close
        )
        before = {"versions": {s.version: s.status for s in superseded + to_review}}
        set_sheet_status(superseded, Status.SUPERSEDED)
        set_sheet_status(to_review, Status.NEEDS_REVIEW)
        sheet = create_sheet(
            station=locked,
            contest=contest,
            sheets=sheets,
            numbers=numbers,
            status=status,
            user=user,
            reason=clean_reason,
            key=idempotency_key,
        )
        replaced = {s.version: s.status for s in superseded + to_review}
        audit_sheet(
            action="tally_sheet.submit",
            sheet=sheet,
            before=before,
            user=user,
            client_address=client_address,
            key=idempotency_key,
        )
        if status == Status.ACCEPTED:
            cross_check_station(
                station=locked,
                contest=contest,
                user=user,
                client_address=client_address,
                idempotency_key=idempotency_key,
                current=sheet,
            )
        return sheet, 201, sheet_body(sheet, replaced)

    payload = {
        "station": station_id_of(station),
        "contest": contest.pk,
        "ballots_cast": ballots_cast,
        "blank": blank,
        "invalid": invalid,
        "votes": {str(k): v for k, v in votes.items()},
        "reason": reason,
    }
    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="tally_sheet.submit",
        fingerprint_payload=payload,
        perform=perform,
        load=load_sheet,
    )
