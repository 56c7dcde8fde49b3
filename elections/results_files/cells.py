"""The cells of a results file: where a row is, and a count read from a cell, or the problem with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from elections.results_files.model import Problem

# Whole numbers; "12.0" too, as files written through a spreadsheet or a data frame often have them.
DIGITS = re.compile(r"([0-9]+)(?:\.0+)?")
NEGATIVE = re.compile(r"-\s*[0-9]+")


@dataclass(frozen=True)
class RowPlace:
    """Where a row is: a CSV line, or a place in a JSON document."""

    line: int | None = None
    where: str = ""

    def problem(self, message: str, column: str = "") -> Problem:
        return Problem(message, line=self.line, column=column, where=self.where)


def parse_count(raw: str | int | None, *, place: RowPlace, column: str, problems: list[Problem]) -> int | None:
    """A count of votes or voters: a whole number, not negative ("1,234" is read as 1234). A problem is added, and
    None returned, for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw >= 0:
            return raw
        problems.append(place.problem(_("This count cannot be negative (%(value)s).") % {"value": raw}, column))
        return None
    text = str(raw if raw is not None else "").strip().replace(",", "")
    whole = DIGITS.fullmatch(text)
    if whole is not None:
        return int(whole.group(1))
    if not text:
        problems.append(place.problem(_("This count is empty; give the number (0 if none)."), column))
    elif NEGATIVE.fullmatch(text):
        problems.append(place.problem(_("This count cannot be negative (%(value)s).") % {"value": text}, column))
    else:
        problems.append(place.problem(_("“%(value)s” is not a whole number.") % {"value": str(raw)[:40]}, column))
    return None


Pair = tuple[str, str]


@dataclass(frozen=True)
class TypedRow:
    """A choice's row with its votes by way of voting as read (None where a cell is empty)."""

    pair: Pair
    choice: str
    place: RowPlace
    votes: int
    by_type: dict[str, int | None]
