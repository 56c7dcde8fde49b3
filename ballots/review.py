"""What a supervisor decides about tally sheets: resolving a review, quarantining and releasing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from ballots.entry import (
    Actor,
    clean_text,
    lock_station,
    require_entry_window,
    require_reason,
    require_supervisor,
    require_user,
)
from ballots.models import TallySheet
from ballots.selectors import count_ballots, describe_difference, is_count_complete, sheet_numbers
from ballots.sheets import (
    audit_sheet,
    create_sheet,
    cross_check_station,
    list_open_sheets,
    load_sheet,
    set_sheet_status,
    sheet_body,
    snapshot_sheet,
    validate_sheet_numbers,
)
from elections.models import Contest, Election, PollingStation
from trust.errors import EntryRejected
from trust.idempotency import Recorded, run_idempotently

Status = TallySheet.Status


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
) -> Recorded[TallySheet]:
    """A supervisor settles a sheet in review: accept one of the versions in question (``accept_version``, which may
    be the one already accepted, turning a correction down) or enter the deciding numbers as a new version."""
    user = require_user(actor)
    deciding = (ballots_cast, blank, invalid, votes)

    def perform() -> tuple[TallySheet, int, dict[str, Any]]:
        _user, locked = lock_station(station, user)
        require_supervisor(user, locked)
        require_entry_window(user, locked)
        sheets = list_open_sheets(locked, contest)
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
        before = {"versions": {s.version: s.status for s in in_review + current}}
        if accept_version is not None:
            chosen = next((s for s in in_review + current if s.version == accept_version), None)
            if chosen is None:
                raise EntryRejected(
                    _("Version %(version)s is not one of the versions under review.") % {"version": accept_version},
                    code="version_not_in_review",
                    details={"field": "accept_version"},
                )
            set_sheet_status([s for s in in_review + current if s is not chosen], Status.SUPERSEDED)
            if chosen in in_review:
                set_sheet_status([chosen], Status.ACCEPTED)
        else:
            numbers = validate_sheet_numbers(
                station=locked,
                contest=contest,
                ballots_cast=ballots_cast,  # type: ignore[arg-type]
                blank=blank,  # type: ignore[arg-type]
                invalid=invalid,  # type: ignore[arg-type]
                votes=votes or {},
            )
            set_sheet_status(in_review + current, Status.SUPERSEDED)
            chosen = create_sheet(
                station=locked,
                contest=contest,
                sheets=sheets,
                numbers=numbers,
                status=Status.ACCEPTED,
                user=user,
                reason=clean_text(reason) or _("Decided after review."),
                key=idempotency_key,
            )
        audit_sheet(
            action="tally_sheet.resolve_review",
            sheet=chosen,
            before=before,
            user=user,
            client_address=client_address,
            key=idempotency_key,
        )
        cross_check_station(
            station=locked, contest=contest, user=user, client_address=client_address, idempotency_key=idempotency_key
        )
        chosen.refresh_from_db()
        replaced = {s.version: Status.SUPERSEDED for s in in_review + current if s.pk != chosen.pk}
        return chosen, 200, sheet_body(chosen, replaced)

    payload = {
        "station": station.pk,
        "contest": contest.pk,
        "accept_version": accept_version,
        "ballots_cast": ballots_cast,
        "blank": blank,
        "invalid": invalid,
        "votes": {str(k): v for k, v in (votes or {}).items()},
        "reason": reason,
    }
    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="tally_sheet.resolve_review",
        fingerprint_payload=payload,
        perform=perform,
        load=load_sheet,
    )


def quarantine_sheet(
    *, sheet: TallySheet, reason: str, actor: Actor, idempotency_key: str, client_address: str | None = None
) -> Recorded[TallySheet]:
    """A supervisor takes an accepted sheet out of the tallies, with a reason the public can read."""
    user = require_user(actor)

    def perform() -> tuple[TallySheet, int, dict[str, Any]]:
        _user, locked = lock_station(sheet.station, user)
        require_supervisor(user, locked)
        require_entry_window(user, locked)
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
        audit_sheet(
            action="tally_sheet.quarantine",
            sheet=current,
            before=before,
            user=user,
            client_address=client_address,
            key=idempotency_key,
        )
        return current, 200, sheet_body(current, {})

    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="tally_sheet.quarantine",
        fingerprint_payload={"sheet": sheet.pk, "reason": reason},
        perform=perform,
        load=load_sheet,
    )


def release_sheet(
    *, sheet: TallySheet, actor: Actor, idempotency_key: str, client_address: str | None = None
) -> Recorded[TallySheet]:
    """A supervisor puts a quarantined sheet back into the tallies, unless its station's ballots still differ."""
    user = require_user(actor)

    def perform() -> tuple[TallySheet, int, dict[str, Any]]:
        _user, locked = lock_station(sheet.station, user)
        require_supervisor(user, locked)
        require_entry_window(user, locked)
        current = TallySheet.objects.select_related("contest").get(pk=sheet.pk)
        if current.status != Status.QUARANTINED:
            raise EntryRejected(
                _("Only a quarantined sheet can be released."), code="sheet_not_quarantined", details={"field": "sheet"}
            )
        contest = current.contest
        if locked.election.counting_method == Election.CountingMethod.BOTH and is_count_complete(
            station=locked, contest=contest
        ):
            names = dict(contest.candidates.values_list("pk", "name_en"))
            difference = describe_difference(
                count_ballots(station=locked, contest=contest), sheet_numbers(current), names
            )
            if difference:
                raise EntryRejected(
                    _("The ballots entered still differ from this sheet: %(difference)s.") % {"difference": difference},
                    code="counts_differ",
                    details={"field": "sheet"},
                )
        before = snapshot_sheet(current)
        current.status, current.quarantine_reason, current.quarantined_automatically = Status.ACCEPTED, "", False
        current.save(update_fields=["status", "quarantine_reason", "quarantined_automatically"])
        audit_sheet(
            action="tally_sheet.release",
            sheet=current,
            before=before,
            user=user,
            client_address=client_address,
            key=idempotency_key,
        )
        return current, 200, sheet_body(current, {})

    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="tally_sheet.release",
        fingerprint_payload={"sheet": sheet.pk},
        perform=perform,
        load=load_sheet,
    )
