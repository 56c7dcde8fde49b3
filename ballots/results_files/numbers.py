"""A file's sheet as the election counts it: votes by candidate id (and by vote type code), the undervotes and
overvotes (or, where the election counts blank and invalid ballots instead, those), and the ballots cast, which a
file often does not give per contest. Ballots cast are then the sum of the contest's votes, undervotes and overvotes
for a one-choice contest, the precinct's ballots cast for a contest of several choices, and never a number made up."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from elections.models import Candidate, Contest, Election, PollingStation
from elections.results_files import FileSheet


@dataclass(frozen=True)
class SheetNumbers:
    ballots_cast: int
    blank: int
    invalid: int
    undervotes: int
    overvotes: int
    votes: dict[int, int]
    votes_by_type: dict[int, dict[str, int]]


def _residuals(election: Election, sheet: FileSheet) -> tuple[int, int, int, int] | None:
    """(blank, invalid, undervotes, overvotes) as the election counts them; None when it counts neither kind and
    the file has some. Blank and invalid stand for undervotes and overvotes as in the NIST export."""
    under, over = sheet.undervotes, sheet.overvotes
    if election.counts_undervotes_and_overvotes:
        return 0, 0, under, over
    if election.counts_blank_and_invalid:
        return under, over, 0, 0
    return (0, 0, 0, 0) if not (under or over) else None


def _ballots_cast(contest: Contest, sheet: FileSheet, precinct_ballots_cast: int | None) -> int | None:
    if sheet.ballots_cast is not None:
        return sheet.ballots_cast
    if contest.max_choices == 1:
        return sum(sheet.votes.values()) + sheet.undervotes + sheet.overvotes
    return precinct_ballots_cast


def _arithmetic_problem(
    contest: Contest, station: PollingStation, sheet: FileSheet, cast: int, precinct_ballots_cast: int | None
) -> str:
    """Why the sheet does not add up, or ""."""
    names = {"contest": contest.name, "station": station.code}
    marked = sum(sheet.votes.values()) + sheet.undervotes + sheet.overvotes
    if contest.max_choices == 1 and sheet.ballots_cast is not None and marked != cast:
        return _(
            "At %(station)s, the votes, undervotes and overvotes of “%(contest)s” (%(marked)d) do not add up to its "
            "ballots cast (%(cast)d)."
        ) % {**names, "marked": marked, "cast": cast}
    if contest.max_choices == 1 and precinct_ballots_cast is not None and marked > precinct_ballots_cast:
        return _(
            "At %(station)s, the votes, undervotes and overvotes of “%(contest)s” (%(marked)d) are more than the "
            "precinct's ballots cast (%(cast)d). If its voters may choose more than one, set the contest's choices "
            "per ballot first."
        ) % {**names, "marked": marked, "cast": precinct_ballots_cast}
    if sum(sheet.votes.values()) > cast * contest.max_choices or any(n > cast for n in sheet.votes.values()):
        return _("At %(station)s, “%(contest)s” has more votes than its %(cast)d ballots cast allow.") % {
            **names,
            "cast": cast,
        }
    if station.registered_voters is not None and cast > station.registered_voters:
        return _(
            "At %(station)s, the ballots cast of “%(contest)s” (%(cast)d) are more than its %(registered)d "
            "registered voters."
        ) % {**names, "cast": cast, "registered": station.registered_voters}
    return ""


def file_numbers(
    *,
    election: Election,
    station: PollingStation,
    contest: Contest,
    sheet: FileSheet,
    precinct_ballots_cast: int | None,
    candidates: dict[str, Candidate],
    type_codes: dict[str, str],
) -> tuple[SheetNumbers | None, str]:
    """The sheet's numbers for ``station`` and ``contest``, or why they cannot be entered. ``candidates`` maps the
    file's choices to the contest's candidates, ``type_codes`` the file's vote type codes to the election's (empty
    when the election reports no vote types)."""
    residuals = _residuals(election, sheet)
    if residuals is None:
        return None, _(
            "At %(station)s, “%(contest)s” has undervotes or overvotes, which this election does not count."
        ) % {"station": station.code, "contest": contest.name}
    cast = _ballots_cast(contest, sheet, precinct_ballots_cast)
    if cast is None:
        return None, _(
            "At %(station)s, “%(contest)s” lets voters choose more than one, and the file gives no ballots cast for "
            "it or for the precinct: they cannot be worked out from the votes."
        ) % {"station": station.code, "contest": contest.name}
    problem = _arithmetic_problem(contest, station, sheet, cast, precinct_ballots_cast)
    if problem:
        return None, problem
    blank, invalid, undervotes, overvotes = residuals
    by_type = (
        {
            candidates[key].pk: {type_codes[c]: n for c, n in per.items() if c in type_codes}
            for key, per in sheet.by_type.items()
        }
        if type_codes
        else {}
    )
    votes = {candidates[key].pk: n for key, n in sheet.votes.items()}
    return SheetNumbers(cast, blank, invalid, undervotes, overvotes, votes, by_type), ""
