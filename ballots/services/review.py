"""What a supervisor decides about tally sheets: resolving a review, quarantining and releasing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ballots.models import TallySheet
from ballots.rules import clean_text, require_reason, validate_sheet_numbers
from ballots.selectors import count_ballots, describe_difference, is_count_complete, sheet_numbers
from ballots.services.operation import EntryOperation, run_entry
from ballots.services.sheets import (
    OpenSheets,
    audit_sheet,
    create_sheet,
    cross_check_station,
    list_open_sheets,
    load_sheet,
    set_sheet_status,
    sheet_body,
    snapshot_sheet,
)
from elections.models import Contest, Election, PollingStation
from trust.errors import EntryRejected
from trust.idempotency import Answer, Recorded
from trust.roles import Actor

Status = TallySheet.Status
# A supervisor's deciding numbers, as given: ballots cast, blank, invalid and votes per candidate id.
Deciding = tuple[int | None, int | None, int | None, Mapping[int, int] | None]


@dataclass(frozen=True)
class DecidingExtras:
    """The deciding numbers an election needs only when it counts them: undervotes and overvotes, votes by type."""

    undervotes: int = 0
    overvotes: int = 0
    votes_by_type: Mapping[int, Mapping[str, int]] | None = None


def _keep_version(in_review: list[TallySheet], current: list[TallySheet], version: int) -> TallySheet:
    """Accept ``version``, one of those in question, and supersede the others."""
    chosen = next((s for s in in_review + current if s.version == version), None)
    if chosen is None:
        raise EntryRejected(
            _("Version %(version)s is not one of the versions under review.") % {"version": version},
            code="version_not_in_review",
            details={"field": "accept_version"},
        )
    set_sheet_status([s for s in in_review + current if s is not chosen], Status.SUPERSEDED)
    if chosen in in_review:
        set_sheet_status([chosen], Status.ACCEPTED)
    return chosen


def _sheets_in_question(
    sheets: OpenSheets, *, accept_version: int | None, deciding: Deciding
) -> tuple[list[TallySheet], list[TallySheet]]:
    """The versions waiting for review and those that count now; refuses when none waits, or unless exactly one
    of a version to accept and the deciding numbers is given."""
    in_review = sheets[Status.NEEDS_REVIEW]
    current = sheets[Status.ACCEPTED] + sheets[Status.QUARANTINED]
    if not in_review:
        raise EntryRejected(_("No version of this sheet is waiting for review."), code="nothing_to_review")
    if (accept_version is None) == all(value is None for value in deciding):
        raise EntryRejected(
            _("Accept one version or enter the deciding numbers, not both."),
            code="review_choice_required",
            details={"field": "accept_version"},
        )
    return in_review, current


def _enter_deciding_version(
    entry: EntryOperation,
    *,
    contest: Contest,
    sheets: OpenSheets,
    replacing: list[TallySheet],
    deciding: Deciding,
    extras: DecidingExtras,
    reason: str,
) -> TallySheet:
    """Accept the supervisor's own numbers as a new version, superseding ``replacing``."""
    ballots_cast, blank, invalid, votes = deciding
    numbers = validate_sheet_numbers(
        station=entry.station,
        contest=contest,
        ballots_cast=ballots_cast,  # type: ignore[arg-type]
        blank=blank,  # type: ignore[arg-type]
        invalid=invalid,  # type: ignore[arg-type]
        votes=votes or {},
        undervotes=extras.undervotes,
        overvotes=extras.overvotes,
        votes_by_type=extras.votes_by_type,
    )
    set_sheet_status(replacing, Status.SUPERSEDED)
    decided = clean_text(reason) or _("Decided after review.")
    return create_sheet(entry, contest=contest, sheets=sheets, numbers=numbers, status=Status.ACCEPTED, reason=decided)


def resolve_sheet_review(
    *,
    station: PollingStation,
    contest: Contest,
    actor: Actor,
    idempotency_key: str,
    accept_version: int | None = None,
    ballots_cast: int | None = None,
    blank: int | None = None,
    invalid: int | None = None,
    votes: Mapping[int, int] | None = None,
    reason: str = "",
    client_address: str | None = None,
    extras: DecidingExtras | None = None,
) -> Recorded[TallySheet]:
    """A supervisor settles a sheet in review: accept one of the versions in question (``accept_version``, which may
    be the one already accepted, turning a correction down) or enter the deciding numbers as a new version."""

    def perform(entry: EntryOperation) -> Answer[TallySheet]:
        sheets = list_open_sheets(entry.station, contest)
        deciding = (ballots_cast, blank, invalid, votes)
        in_review, current = _sheets_in_question(sheets, accept_version=accept_version, deciding=deciding)
        before = {"versions": {s.version: s.status for s in in_review + current}}
        if accept_version is not None:
            chosen = _keep_version(in_review, current, accept_version)
        else:
            chosen = _enter_deciding_version(
                entry,
                contest=contest,
                sheets=sheets,
                replacing=in_review + current,
                deciding=deciding,
                extras=extras or DecidingExtras(),
                reason=reason,
            )
        audit_sheet(entry, action="tally_sheet.resolve_review", sheet=chosen, before=before)
        cross_check_station(entry, contest=contest)
        chosen.refresh_from_db()
        replaced = {s.version: Status.SUPERSEDED for s in in_review + current if s.pk != chosen.pk}
        return Answer(obj=chosen, created=False, body=sheet_body(chosen, replaced))

    request: dict[str, object] = {
        "station": station.pk,
        "contest": contest.pk,
        "accept_version": accept_version,
        "ballots_cast": ballots_cast,
        "blank": blank,
        "invalid": invalid,
        "votes": {str(k): v for k, v in (votes or {}).items()},
        "reason": reason,
    }
    if extras is not None and extras != DecidingExtras():
        request["extras"] = {
            "undervotes": extras.undervotes,
            "overvotes": extras.overvotes,
            "votes_by_type": {str(k): dict(v) for k, v in (extras.votes_by_type or {}).items()},
        }
    return run_entry(
        operation="tally_sheet.resolve_review",
        station=station,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request=request,
        perform=perform,
        load=load_sheet,
        supervisors_only=True,
    )


def quarantine_sheet(
    *, sheet: TallySheet, reason: str, actor: Actor, idempotency_key: str, client_address: str | None = None
) -> Recorded[TallySheet]:
    """A supervisor takes an accepted sheet out of the tallies, with a reason the public can read."""

    def perform(entry: EntryOperation) -> Answer[TallySheet]:
        clean_reason = require_reason(reason)
        current = TallySheet.objects.get(pk=sheet.pk)
        if current.status != Status.ACCEPTED:
            raise EntryRejected(
                _("Only an accepted sheet can be quarantined."), code="sheet_not_accepted", details={"field": "sheet"}
            )
        before = snapshot_sheet(current)
        current.status, current.quarantine_reason, current.quarantined_automatically = (
            Status.QUARANTINED,
            clean_reason,
            False,
        )
        current.save(update_fields=["status", "quarantine_reason", "quarantined_automatically"])
        audit_sheet(entry, action="tally_sheet.quarantine", sheet=current, before=before)
        return Answer(obj=current, created=False, body=sheet_body(current, {}))

    return run_entry(
        operation="tally_sheet.quarantine",
        station=sheet.station_id,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request={"sheet": sheet.pk, "reason": reason},
        perform=perform,
        load=load_sheet,
        supervisors_only=True,
    )


def _require_ballots_agree(entry: EntryOperation, sheet: TallySheet) -> None:
    """Where the election counts both ways and the ballots are complete, they must agree with ``sheet``."""
    contest = sheet.contest
    if entry.station.election.counting_method != Election.CountingMethod.BOTH or not is_count_complete(
        station=entry.station, contest=contest
    ):
        return
    names = dict(contest.candidates.values_list("pk", "name_en"))
    difference = describe_difference(count_ballots(station=entry.station, contest=contest), sheet_numbers(sheet), names)
    if difference:
        raise EntryRejected(
            _("The ballots entered still differ from this sheet: %(difference)s.") % {"difference": difference},
            code="counts_differ",
            details={"field": "sheet"},
        )


def release_sheet(
    *, sheet: TallySheet, actor: Actor, idempotency_key: str, client_address: str | None = None
) -> Recorded[TallySheet]:
    """A supervisor puts a quarantined sheet back into the tallies, unless its station's ballots still differ."""

    def perform(entry: EntryOperation) -> Answer[TallySheet]:
        current = TallySheet.objects.select_related("contest").get(pk=sheet.pk)
        if current.status != Status.QUARANTINED:
            raise EntryRejected(
                _("Only a quarantined sheet can be released."), code="sheet_not_quarantined", details={"field": "sheet"}
            )
        _require_ballots_agree(entry, current)
        before = snapshot_sheet(current)
        current.status, current.quarantine_reason, current.quarantined_automatically = Status.ACCEPTED, "", False
        current.save(update_fields=["status", "quarantine_reason", "quarantined_automatically"])
        audit_sheet(entry, action="tally_sheet.release", sheet=current, before=before)
        return Answer(obj=current, created=False, body=sheet_body(current, {}))

    return run_entry(
        operation="tally_sheet.release",
        station=sheet.station_id,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request={"sheet": sheet.pk},
        perform=perform,
        load=load_sheet,
        supervisors_only=True,
    )
