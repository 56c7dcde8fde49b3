"""Results files entered by officials: a file's sheets planned against an election and checked (``planning``,
``numbers``), then entered as tally sheets, all or nothing (``services``)."""

from __future__ import annotations

from ballots.results_files.planning import (
    ALREADY_ENTERED,
    CORRECTION,
    NEW,
    SECOND_ENTRY,
    UNCHANGED,
    PlannedSheet,
    UploadPlan,
)
from ballots.results_files.services import (
    EnteredFile,
    ResultsFileRejected,
    enter_results_file,
    plan_results_file,
    results_file_reason,
)

__all__ = [
    "ALREADY_ENTERED",
    "CORRECTION",
    "NEW",
    "SECOND_ENTRY",
    "UNCHANGED",
    "EnteredFile",
    "PlannedSheet",
    "ResultsFileRejected",
    "UploadPlan",
    "enter_results_file",
    "plan_results_file",
    "results_file_reason",
]
