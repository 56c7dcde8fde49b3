"""Entering a results file: each of its (station, contest) sheets becomes a tally sheet through
``ballots.services.submit_tally_sheets``, the batch form of the entry a clerk makes (the same rules, one answer per
sheet), all in one transaction: one refused sheet and nothing of the file is entered.

A file is one entry of each sheet, made by the official who uploads it: where the election has double entry, a
clerk or another official's file makes the second. Each sheet's idempotency key comes from the file's SHA-256, so
the same file entered again changes nothing (and no file counts twice, whoever uploads it again); each sheet's reason
names the file's SHA-256, and one ``results_file.enter`` event names the file and who entered it."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ballots.results_files.planning import PlannedSheet, UploadPlan, UploadPlanner
from ballots.services import MAX_SHEET_BATCH, SheetEntry, submit_tally_sheets
from elections.models import Election
from elections.results_files import ResultsFile
from trust.audit import record_audit_event
from trust.errors import DomainError, EntryRejected
from trust.roles import Actor, require_official


class ResultsFileRejected(EntryRejected):
    """A results file that cannot be entered; ``details["problems"]`` names every reason."""

    code = "results_file_refused"


@dataclass(frozen=True)
class EnteredFile:
    """What entering a file did: the plan it followed and how many sheets it entered."""

    plan: UploadPlan
    entered: int


def results_file_reason(sha256: str) -> str:
    """The reason each sheet of a file carries."""
    # Stored with the sheet and compared on a replay: the same words whatever language the uploader reads.
    with translation.override(settings.LANGUAGE_CODE):
        return _("Entered from results file SHA-256 %(sha256)s.") % {"sha256": sha256}


def _sheet_entry(planned: PlannedSheet, reason: str) -> SheetEntry:
    numbers = planned.numbers
    return SheetEntry(
        station_id=planned.station.pk,
        contest_id=planned.contest.pk,
        ballots_cast=numbers.ballots_cast,
        blank=numbers.blank,
        invalid=numbers.invalid,
        votes=numbers.votes,
        undervotes=numbers.undervotes,
        overvotes=numbers.overvotes,
        votes_by_type=numbers.votes_by_type or None,
        idempotency_key=planned.idempotency_key,
        reason=reason,
    )


def _refused_sheet(planned: PlannedSheet, error: DomainError) -> ResultsFileRejected:
    """The file refused whole, naming the line, station and contest of the sheet the rules refused."""
    message = _("Nothing was entered. Line %(line)s, %(station)s, “%(contest)s”: %(message)s") % {
        "line": planned.line or "—",
        "station": planned.station.code,
        "contest": planned.contest.name,
        "message": error.message,
    }
    return ResultsFileRejected(message, details={"problems": [message], **error.details})


def plan_results_file(*, election: Election, results: ResultsFile, actor: Actor) -> UploadPlan:
    """What entering ``results`` into ``election`` would do, and every reason it cannot; nothing is written."""
    user = require_official(actor, message=_("Only an official can enter a results file."))
    return UploadPlanner(election, results, user).build()


def enter_results_file(
    *, election: Election, results: ResultsFile, actor: Actor, client_address: str | None = None, file_name: str = ""
) -> EnteredFile:
    """Enter every sheet of ``results`` that changes something, or none: ``ResultsFileRejected`` names every problem
    of the file, or the sheet the rules refused."""
    user = require_official(actor, message=_("Only an official can enter a results file."))
    with transaction.atomic():
        plan = UploadPlanner(election, results, user).build()
        if plan.problems:
            raise ResultsFileRejected(
                _("Nothing was entered: the file has %(count)d problems.") % {"count": len(plan.problems)},
                details={"problems": plan.problems},
            )
        reason = results_file_reason(results.sha256)
        entered = 0
        writes = plan.writes
        for start in range(0, len(writes), MAX_SHEET_BATCH):
            chunk = writes[start : start + MAX_SHEET_BATCH]
            outcomes = submit_tally_sheets(
                items=[_sheet_entry(planned, reason) for planned in chunk], actor=user, client_address=client_address
            )
            for planned, outcome in zip(chunk, outcomes, strict=True):
                if outcome.error is not None:
                    raise _refused_sheet(planned, outcome.error)
                entered += 0 if outcome.recorded is None or outcome.recorded.replayed else 1
        if entered:
            record_audit_event(
                action="results_file.enter",
                obj=election,
                actor=user,
                after={
                    "sha256": results.sha256,
                    "format": results.format,
                    "file_name": file_name,
                    "sheets_entered": entered,
                    **{f"sheets_{action}": n for action, n in plan.counts.items()},
                },
                client_address=client_address,
                election_id=election.pk,
            )
    return EnteredFile(plan=plan, entered=entered)
