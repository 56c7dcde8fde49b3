"""Results files in: an OpenElections precinct CSV or a NIST SP 1500-100 V2 JSON report, read into one neutral form
(``model``). Reading is pure: nothing here writes. The structure an election gets from a file is built by
``elections.services.structure``; a file's results are entered by the ballots app."""

from __future__ import annotations

from elections.results_files.model import (
    NIST,
    OPENELECTIONS,
    FileChoice,
    FileContest,
    FileSheet,
    FileStation,
    FileVoteType,
    Problem,
    ResultsFile,
    ResultsFileRefused,
)
from elections.results_files.nist import parse_nist
from elections.results_files.openelections import parse_openelections


def parse_results_file(data: bytes) -> ResultsFile:
    """Read a results file, telling the formats apart by their first character: a JSON document is a NIST report,
    anything else an OpenElections CSV."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return parse_nist(data)
    return parse_openelections(data)


__all__ = [
    "NIST",
    "OPENELECTIONS",
    "FileChoice",
    "FileContest",
    "FileSheet",
    "FileStation",
    "FileVoteType",
    "Problem",
    "ResultsFile",
    "ResultsFileRefused",
    "parse_nist",
    "parse_openelections",
    "parse_results_file",
]
