"""Every write of staff entry. Each runs through ``ballots.services.operation.run_entry``, which checks who acts and
when, locks the station, keeps the answer under the client's idempotency key, audits and tells the results side
after commit; the service itself validates and writes.

The functions live in topic modules; this package is the one place to find them all.
"""

from __future__ import annotations

from ballots.services.ballots import (
    MAX_BATCH,
    BallotEntry,
    BatchOutcome,
    mark_count_complete,
    record_ballot,
    record_ballots_batch,
    reopen_count,
    void_ballot,
)
from ballots.services.review import quarantine_sheet, release_sheet, resolve_sheet_review
from ballots.services.sheet_batch import MAX_SHEET_BATCH, ContestNotFound, SheetEntry, SheetOutcome, submit_tally_sheets
from ballots.services.sheets import submit_tally_sheet
from ballots.services.turnout import report_turnout
from trust.idempotency import Recorded

__all__ = [
    "MAX_BATCH",
    "MAX_SHEET_BATCH",
    "BallotEntry",
    "BatchOutcome",
    "ContestNotFound",
    "Recorded",
    "SheetEntry",
    "SheetOutcome",
    "mark_count_complete",
    "quarantine_sheet",
    "record_ballot",
    "record_ballots_batch",
    "release_sheet",
    "reopen_count",
    "report_turnout",
    "resolve_sheet_review",
    "submit_tally_sheet",
    "submit_tally_sheets",
    "void_ballot",
]
