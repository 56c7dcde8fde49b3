"""What a results file says, whatever its format: per (station, contest) the votes of each candidate or choice (per
vote type when the file gives them), the undervotes and overvotes, and the ballots cast and registered voters where
the file has them. Parsers build it; nothing here reads or writes the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from elections.results_files import labels

OPENELECTIONS = "openelections"
NIST = "nist"
KIND_CANDIDATES = "candidates"
KIND_MEASURE = "measure"


@dataclass(frozen=True)
class Problem:
    """Why a part of a file cannot be used: where (a CSV line, a place in a JSON document), which column or field,
    and why."""

    message: str
    line: int | None = None
    column: str = ""
    where: str = ""

    def __str__(self) -> str:
        place = self.where or (_("Line %(line)d") % {"line": self.line} if self.line is not None else "")
        if place and self.column:
            return _("%(place)s, %(column)s: %(message)s") % {
                "place": place,
                "column": self.column,
                "message": self.message,
            }
        if place:
            return _("%(place)s: %(message)s") % {"place": place, "message": self.message}
        return self.message


class ResultsFileRefused(Exception):
    """A file that cannot be used as a whole, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems[:5]))
        self.problems = problems


@dataclass
class FileStation:
    """A precinct or polling place of the file. ``key`` is unique within the file; ``identifiers`` are the codes
    the file gives it (NIST external identifiers)."""

    key: str
    county: str
    precinct: str
    identifiers: tuple[str, ...] = ()
    registered_voters: int | None = None
    ballots_cast: int | None = None
    line: int | None = None


@dataclass
class FileChoice:
    """A candidate, a write-in line or a measure's choice, in the order it goes on the ballot."""

    key: str
    name: str
    party: str = ""
    is_write_in: bool = False


@dataclass
class FileContest:
    key: str
    office: str
    district: str
    name: str
    kind: str = KIND_CANDIDATES
    max_choices: int = 1
    choices: list[FileChoice] = field(default_factory=list)
    line: int | None = None

    @property
    def is_measure(self) -> bool:
        return self.kind == KIND_MEASURE

    def choice(self, key: str) -> FileChoice | None:
        return next((choice for choice in self.choices if choice.key == key), None)

    def settle_choices(self, *, detect_measure: bool) -> None:
        """A contest whose only choices are "Yes" and "No" (or "For" and "Against") is a measure (unless its kind
        was given), "Yes" first; the candidates of any other go in the order the file names them, write-ins last."""
        named = [choice for choice in self.choices if not choice.is_write_in]
        sides = {labels.measure_side(choice.name) for choice in named}
        if detect_measure and sides == {0, 1} and len(named) == len(self.choices):
            self.kind = KIND_MEASURE
        if self.kind == KIND_MEASURE:
            self.choices.sort(key=lambda choice: labels.measure_side(choice.name) or 0)
            self.max_choices = 1
        else:
            self.choices.sort(key=lambda choice: choice.is_write_in)


@dataclass(frozen=True)
class FileVoteType:
    """A way of voting the file reports apart: its code, a name to show and the NIST count type it stands for."""

    code: str
    name: str
    nist_type: str
    column: str


@dataclass
class FileSheet:
    """One station's numbers for one contest. ``votes`` and ``by_type`` are keyed by the choice's key, ``by_type``
    then by vote type code (empty when the file gives no vote types). ``ballots_cast`` is the contest's own count
    where the file gives one; ``lines`` holds where each choice's row is, for the messages."""

    station_key: str
    contest_key: str
    votes: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, dict[str, int]] = field(default_factory=dict)
    undervotes: int = 0
    overvotes: int = 0
    ballots_cast: int | None = None
    line: int | None = None
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class ResultsFile:
    """A whole results file in the neutral form. ``notes`` tell what was read but deliberately left out (total rows,
    columns that are not vote types)."""

    format: str
    sha256: str
    stations: dict[str, FileStation] = field(default_factory=dict)
    contests: dict[str, FileContest] = field(default_factory=dict)
    sheets: dict[tuple[str, str], FileSheet] = field(default_factory=dict)
    vote_types: list[FileVoteType] = field(default_factory=list)
    counts_undervotes_and_overvotes: bool = False
    notes: list[str] = field(default_factory=list)
    rows: int = 0
