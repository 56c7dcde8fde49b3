"""The OpenElections precinct CSV (https://github.com/openelections): one row per precinct, office and candidate,
``county, precinct, office, district, party, candidate, votes`` and, in many files, one column per way of voting
(``election_day``, ``early_voting``, ``absentee``, ``mail``, ``provisional`` …). Rows such as "Registered Voters",
"Ballots Cast", "Over Votes" and "Under Votes" carry the precinct's and the contest's other counts; "Total" rows are
left out (and checked against the sum they total).

Every row that cannot be used is named (line, column, why); a file with any such row is refused as a whole."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from elections.results_files import labels
from elections.results_files.assembly import Assembler
from elections.results_files.cells import RowPlace, parse_count
from elections.results_files.model import OPENELECTIONS, FileVoteType, Problem, ResultsFile, ResultsFileRefused

REQUIRED_COLUMNS = ("county", "precinct", "office", "candidate", "votes")
OPTIONAL_COLUMNS = ("district", "party")


@dataclass
class Columns:
    """Where each column is, and which columns give votes by way of voting."""

    index: dict[str, int]
    vote_types: list[tuple[int, FileVoteType]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    width: int = 0


def decode(data: bytes) -> str:
    """The file's text (UTF-8, with or without a byte-order mark); refused, saying so, otherwise."""
    not_utf8 = Problem(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."))
    if b"\x00" in data:
        raise ResultsFileRefused([not_utf8])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ResultsFileRefused([not_utf8]) from None


def read_header(header: list[str]) -> Columns:
    """The columns of the header row; refused when a required one is missing or a column appears twice."""
    keys = [labels.column_key(name) for name in header]
    problems: list[Problem] = []
    repeated = sorted({key for key in keys if key and keys.count(key) > 1})
    if repeated:
        problems.append(
            Problem(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(repeated)}, line=1)
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in keys]
    if missing:
        problems.append(
            Problem(
                _("The header has no column %(columns)s; an OpenElections file has %(required)s.")
                % {"columns": ", ".join(missing), "required": ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)},
                line=1,
            )
        )
    if problems:
        raise ResultsFileRefused(problems)
    columns = Columns(index={key: position for position, key in enumerate(keys) if key}, width=len(header))
    for position, key in enumerate(keys):
        if not key or key in REQUIRED_COLUMNS or key in OPTIONAL_COLUMNS:
            continue
        nist_type = labels.vote_type_of_column(key)
        if nist_type is None:
            columns.ignored.append(header[position].strip())
            continue
        code = labels.safe_code(labels.VOTE_TYPE_SUFFIX.sub("", key), limit=32)
        column = header[position].strip()
        vote_type = FileVoteType(code=code, name=labels.vote_type_name(code), nist_type=nist_type, column=column)
        columns.vote_types.append((position, vote_type))
    return columns


def _cell(row: list[str], columns: Columns, name: str) -> str:
    position = columns.index.get(name)
    return row[position] if position is not None and position < len(row) else ""


def _read_row(assembler: Assembler, columns: Columns, row: list[str], line: int) -> None:
    if len(row) > columns.width and any(cell.strip() for cell in row[columns.width :]):
        assembler.refuse(Problem(_("This row has more cells than the header has columns."), line=line))
        return
    place = RowPlace(line=line)
    by_type: dict[str, str] = {vote_type.code: row[p] if p < len(row) else "" for p, vote_type in columns.vote_types}
    assembler.add_row(
        place=place,
        county=_cell(row, columns, "county"),
        precinct=_cell(row, columns, "precinct"),
        office=_cell(row, columns, "office"),
        district=_cell(row, columns, "district"),
        party=_cell(row, columns, "party"),
        candidate=_cell(row, columns, "candidate"),
        votes=parse_count(_cell(row, columns, "votes"), place=place, column="votes", problems=assembler.problems),
        by_type=by_type,
    )


def parse_openelections(data: bytes) -> ResultsFile:
    """Read an OpenElections precinct CSV into the neutral form; ``ResultsFileRefused`` names every problem."""
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ResultsFileRefused([Problem(_("The file is empty."))]) from None
    except csv.Error as error:
        raise ResultsFileRefused([Problem(_("The file cannot be read as CSV: %(error)s") % {"error": error})]) from None
    columns = read_header(header)
    assembler = Assembler(
        format=OPENELECTIONS, sha256=hashlib.sha256(data).hexdigest(), vote_types=[t for _p, t in columns.vote_types]
    )
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                assembler.results.rows += 1
                _read_row(assembler, columns, row, reader.line_num)
    except csv.Error as error:
        assembler.refuse(
            Problem(_("The file cannot be read as CSV: %(error)s") % {"error": error}, line=reader.line_num)
        )
    if columns.ignored:
        assembler.results.notes.append(
            _("Columns left out (not votes by way of voting): %(columns)s.") % {"columns": ", ".join(columns.ignored)}
        )
    return assembler.finish()
