"""What can be done next with a station's tally sheet for a contest. ``refuse_sheet_entry`` is the rule the sheet
service enforces; ``list_sheet_steps`` reads it for the entry pages, so a page never offers an entry the service
would refuse.

Kept out of the package's ``__init__``: it reads the entry window from ``ballots.rules``, which itself reads the
package."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from ballots.models import TallySheet
from ballots.rules import is_sheet_correction, require_entry_window
from ballots.selectors.overview import ContestProgress, StationOverview
from elections.names import local_name_of
from elections.selectors import supervises
from trust.errors import EntryRejected


class SheetStep(StrEnum):
    ENTER = "enter"
    SECOND_ENTRY = "second_entry"
    CORRECT = "correct"
    IN_REVIEW = "in_review"
    AWAIT_SECOND_CLERK = "await_second_clerk"
    CLOSED = "closed"


# The steps whose sheet form takes an entry; the others explain why it cannot.
ENTERING_STEPS = {SheetStep.ENTER, SheetStep.SECOND_ENTRY, SheetStep.CORRECT}


@dataclass(frozen=True)
class SheetNextStep:
    """The one next step with a sheet, why it is what it is (for a step that waits), and whether the user may
    settle the review."""

    step: SheetStep
    why: str = ""
    can_review: bool = False

    @property
    def takes_entry(self) -> bool:
        return self.step in ENTERING_STEPS


def refuse_sheet_entry(
    *, in_review: bool, first_entry_by_id: int | None, user_id: int, after_close: bool
) -> EntryRejected | None:
    """Why a new version of a sheet is refused now, or None: while a version waits for review nothing else is
    entered, and the second entry of a double entry must be someone else's (a correction after closing is not one)."""
    if in_review:
        return EntryRejected(
            _("This sheet is waiting for a supervisor's review; it cannot take another entry now."),
            code="sheet_in_review",
        )
    if not after_close and first_entry_by_id is not None and first_entry_by_id == user_id:
        return EntryRejected(
            _("The second entry must be made by someone other than the first."), code="second_entry_same_person"
        )
    return None


def _entry_window(user: User, overview: StationOverview) -> tuple[bool, str]:
    """Whether entries are a correction after closing, and why none is taken ('' when they are)."""
    try:
        return require_entry_window(user, overview.station), ""
    except EntryRejected:
        election = overview.station.election
        return False, _("%(name)s does not take entries now: it is %(status)s.") % {
            "name": local_name_of(election),
            "status": election.get_status_display(),
        }


def _step(
    user: User, overview: StationOverview, progress: ContestProgress, *, after_close: bool, closed: str, reviews: bool
) -> SheetNextStep:
    if closed:
        return SheetNextStep(SheetStep.CLOSED, closed)
    refusal = refuse_sheet_entry(
        in_review=progress.sheet_status == TallySheet.Status.NEEDS_REVIEW,
        first_entry_by_id=progress.first_entry_by_id,
        user_id=user.pk,
        after_close=after_close,
    )
    if refusal is not None and refusal.code == "sheet_in_review":
        why = (
            _("A clerk's correction waits for a supervisor's approval; the accepted version counts meanwhile.")
            if progress.has_current_sheet
            else _("The two entries of this sheet differ; a supervisor decides which numbers count.")
        )
        return SheetNextStep(SheetStep.IN_REVIEW, why, can_review=reviews)
    if refusal is not None:
        return SheetNextStep(
            SheetStep.AWAIT_SECOND_CLERK,
            _("You made the first entry of this sheet; another clerk must now enter it a second time."),
        )
    if is_sheet_correction(election=overview.station.election, has_current_sheet=progress.has_current_sheet):
        # A clerk's correction goes to a supervisor; a supervisor's is accepted at once.
        why = (
            ""
            if reviews
            else _("Your correction will wait for a supervisor's approval; the accepted version counts meanwhile.")
        )
        return SheetNextStep(SheetStep.CORRECT, why)
    if progress.sheet_status == TallySheet.Status.PENDING_SECOND_ENTRY:
        return SheetNextStep(
            SheetStep.SECOND_ENTRY,
            _("The first entry is saved. Enter the same paper sheet again, without looking at the first entry."),
        )
    return SheetNextStep(SheetStep.ENTER)


def list_sheet_steps(user: User, overview: StationOverview) -> dict[int, SheetNextStep]:
    """Per contest id of the station, the next step ``user`` can take with its tally sheet."""
    after_close, closed = _entry_window(user, overview)
    reviews = supervises(user, overview.station)
    return {
        progress.contest.pk: _step(user, overview, progress, after_close=after_close, closed=closed, reviews=reviews)
        for progress in overview.contests
    }
