"""The numbers of a sheet's versions laid out for reading: the lines of a side-by-side review, and the cells of the
sheet history, with the residual counts the election keeps and each candidate's votes per vote type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ballots.forms import shown_name
from ballots.selectors import Numbers
from elections.models import Candidate, Election, VoteType
from elections.names import local_name_of

RESIDUALS = ("blank", "invalid", "undervotes", "overvotes")


@dataclass(frozen=True)
class CompareLine:
    """One line of a side-by-side review: a label, each version's value and whether they differ. A candidate's votes
    of one vote type name the type as label and the candidate in ``of_candidate``, under the candidate's total."""

    label: str
    values: Sequence[int]
    write_in_mark: bool = False
    of_candidate: str = ""

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


@dataclass(frozen=True)
class VotesCell:
    """A candidate's votes in one version, and their split per vote type as (type name, votes)."""

    total: int
    split: Sequence[tuple[str, int]]


def residual_labels() -> dict[str, str]:
    return {
        "blank": _("Blank ballots"),
        "invalid": _("Invalid ballots"),
        "undervotes": _("Undervotes"),
        "overvotes": _("Overvotes"),
    }


def shown_residuals(election: Election, versions: Sequence[Numbers]) -> list[tuple[str, str]]:
    """The residual counts to show, as (attribute, label): those the election counts, and any a version holds."""
    counted = {
        "blank": election.counts_blank_and_invalid,
        "invalid": election.counts_blank_and_invalid,
        "undervotes": election.counts_undervotes_and_overvotes,
        "overvotes": election.counts_undervotes_and_overvotes,
    }
    labels = residual_labels()
    return [
        (name, labels[name])
        for name in RESIDUALS
        if counted[name] or any(getattr(numbers, name) for numbers in versions)
    ]


def compare_versions(
    election: Election, candidates: Sequence[Candidate], vote_types: Sequence[VoteType], versions: Sequence[Numbers]
) -> list[CompareLine]:
    """Every number of the versions line by line: ballots cast, the residual counts, and per candidate the total
    followed, where the election reports vote types, by one line per type."""
    lines = [CompareLine(_("Ballots cast"), [v.ballots_cast for v in versions])]
    lines += [
        CompareLine(label, [getattr(v, name) for v in versions]) for name, label in shown_residuals(election, versions)
    ]
    for candidate in candidates:
        name, mark = shown_name(candidate)
        lines.append(CompareLine(name, [v.votes.get(candidate.pk, 0) for v in versions], write_in_mark=mark))
        for vote_type in vote_types:
            values = [v.by_type.get(candidate.pk, {}).get(vote_type.pk, 0) for v in versions]
            lines.append(CompareLine(local_name_of(vote_type), values, of_candidate=name))
    return lines


def votes_cells(numbers: Numbers, candidates: Sequence[Candidate], vote_types: Sequence[VoteType]) -> list[VotesCell]:
    """Per candidate, the votes of one version and their split per vote type (none without vote types)."""
    return [
        VotesCell(
            numbers.votes.get(c.pk, 0),
            [(local_name_of(t), numbers.by_type.get(c.pk, {}).get(t.pk, 0)) for t in vote_types],
        )
        for c in candidates
    ]
