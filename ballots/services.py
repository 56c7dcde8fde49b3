"""Every write of staff entry. Each checks who acts and when, validates, writes in one transaction with its audit
event and idempotency record, and tells the results side after commit.

The functions live in topic modules; this module is the one place to find them all.
"""

from __future__ import annotations

from ballots.counting import (
    BallotEntry,
    BatchOutcome,
    mark_count_complete,
    record_ballot,
    record_ballots_batch,
    reopen_count,
    void_ballot,
)
from ballots.review import quarantine_sheet, release_sheet, resolve_sheet_review
from ballots.sheets import cross_check_station, submit_tally_sheet, validate_sheet_numbers
from ballots.turnout import report_turnout
from trust.idempotency import Recorded, run_idempotently

__all__ = [
    "BallotEntry",
    "BatchOutcome",
    "Recorded",
    "cross_check_station",
    "mark_count_complete",
    "quarantine_sheet",
    "record_ballot",
    "record_ballots_batch",
    "release_sheet",
    "reopen_count",
    "report_turnout",
    "resolve_sheet_review",
    "run_idempotently",
    "submit_tally_sheet",
    "validate_sheet_numbers",
    "void_ballot",
]
