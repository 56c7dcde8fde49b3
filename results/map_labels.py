"""What a map says of each area and marker: who leads and by how much, a tie, or nothing yet, in the reader's
language; the name a screen reader announces for the link, and the state its colour and shade stand for.

A result here is a list of votes per candidate in ballot order; the margin is the leader's lead over the next
candidate, in votes and in points (hundredths of the valid votes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from results.presentation import NO_LEADER_COLOUR, Lookup, grouped_number, isolated, shown_name
from results.snapshot import SnapshotCandidate

# Margins in points where an area's shade steps up: under 5, 5 to 10, 10 to 20, 20 or more.
MARGIN_STEPS = (5, 10, 20)


@dataclass(frozen=True)
class Standing:
    """Who leads a set of votes: the leader and the margin, or the names tied on the most votes, or nothing yet."""

    leader: SnapshotCandidate | None
    margin: int
    points: float
    tied: tuple[str, ...]

    @property
    def has_votes(self) -> bool:
        return self.leader is not None or bool(self.tied)

    @property
    def step(self) -> int:
        """The shade of the lead, 1 (closest) to ``len(MARGIN_STEPS) + 1``."""
        return 1 + sum(1 for limit in MARGIN_STEPS if self.points >= limit)


def standing_of(candidates: Sequence[SnapshotCandidate], votes: Sequence[int]) -> Standing:
    """The standing of ``votes`` (ballot order of ``candidates``): two on the most votes are tied, never one of them
    leading; no vote at all is no standing."""
    ranked = sorted(zip(candidates, votes, strict=True), key=lambda pair: (-pair[1], pair[0]["ballot_order"]))
    valid = sum(votes)
    if not ranked or ranked[0][1] == 0:
        return Standing(None, 0, 0.0, ())
    top = ranked[0][1]
    if len(ranked) > 1 and ranked[1][1] == top:
        return Standing(None, 0, 0.0, tuple(shown_name(c)[0] for c, n in ranked if n == top))
    margin = top - (ranked[1][1] if len(ranked) > 1 else 0)
    return Standing(ranked[0][0], margin, round(100 * margin / valid, 1), ())


def reporting_text(reporting: int, total: int) -> str:
    return ngettext(
        "%(reporting)s of %(total)s polling station reporting",
        "%(reporting)s of %(total)s polling stations reporting",
        total,
    ) % {"reporting": grouped_number(reporting), "total": grouped_number(total)}


def lead_text(standing: Standing) -> str:
    """“Jane Doe leads by 312 votes (4.1 points)”."""
    assert standing.leader is not None
    votes = ngettext("%(count)s vote", "%(count)s votes", standing.margin) % {"count": grouped_number(standing.margin)}
    return _("%(leader)s leads by %(votes)s (%(points)s points)") % {
        "leader": isolated(shown_name(standing.leader)[0]),
        "votes": votes,
        "points": number_format(standing.points, decimal_pos=1),
    }


def tie_text(standing: Standing) -> str:
    names = pgettext("between the names of a list", ", ").join(isolated(name) for name in standing.tied)
    return _("tied: %(names)s") % {"names": names}


@dataclass(frozen=True)
class Shown:
    """How one area or marker is drawn and named: its fill, its state (a class of the stylesheet) and its label."""

    colour: str
    status: str
    title: str


def area_shown(
    lookup: Lookup, place: str, standing: Standing, reporting: int, total: int, *, hatch: str, tie: str
) -> Shown:
    """An area: the leader's colour shaded by the margin (``lead-1`` … ``lead-4``), the tie's grey (``tie``, crossed
    so that it never reads as a pale grey leader) when tied, hatched (``hatch``) before any result."""
    counted = reporting_text(reporting, total)
    if standing.leader is not None:
        title = _("%(place)s: %(result)s, %(reporting)s") % {
            "place": place,
            "result": lead_text(standing),
            "reporting": counted,
        }
        return Shown(lookup.candidate_colour(standing.leader), f"lead-{standing.step}", title)
    if standing.tied:
        title = _("%(place)s: %(result)s, %(reporting)s") % {
            "place": place,
            "result": tie_text(standing),
            "reporting": counted,
        }
        return Shown(tie, "tied", title)
    title = _("%(place)s: no results yet, %(reporting)s") % {"place": place, "reporting": counted}
    return Shown(hatch, "waiting", title)


def marker_shown(
    lookup: Lookup, place: str, standing: Standing, *, reporting: int, total: int, quarantined: int
) -> Shown:
    """A marker of one station or of several at a site: the leader's colour, grey when tied or only quarantined
    results came in, hollow before any result. A single station's label gives no count of stations."""
    single = total == 1
    counted = reporting_text(reporting, total)
    if standing.leader is not None:
        result = lead_text(standing)
        colour, status = lookup.candidate_colour(standing.leader), "reported"
    elif standing.tied:
        result, colour, status = tie_text(standing), NO_LEADER_COLOUR, "tied"
    elif quarantined and not reporting:
        result, colour, status = _("quarantined, not counted"), NO_LEADER_COLOUR, "quarantined"
    else:
        result, colour, status = _("not reported yet"), "none", "waiting"
    if single:
        return Shown(colour, status, _("%(place)s: %(result)s") % {"place": place, "result": result})
    title = _("%(place)s: %(result)s, %(reporting)s") % {"place": place, "result": result, "reporting": counted}
    return Shown(colour, status, title)


def shade_legend() -> list[dict[str, str]]:
    """The legend's margin shades, closest first."""
    low, middle, high = (number_format(limit) for limit in MARGIN_STEPS)
    return [
        {"status": "lead-1", "label": _("lead under %(points)s points") % {"points": low}},
        {"status": "lead-2", "label": _("%(low)s to %(high)s points") % {"low": low, "high": middle}},
        {"status": "lead-3", "label": _("%(low)s to %(high)s points") % {"low": middle, "high": high}},
        {"status": "lead-4", "label": _("%(points)s points or more") % {"points": high}},
    ]
