"""Who holds a contest's seats, by how much, and whether that can still change: the calls of the results pages.

Pure functions of the snapshot, like the rest of the presentation. The rules, in words, are in
``docs/results-rules.md``:

- **Margin**: a single seat's leader over the runner-up; for several seats, the last seat holder over the first
  candidate outside the seats (``seat_margin``). In votes and in percentage points of the valid votes. Equal votes
  are a tie, never a lead of zero.
- **Outstanding votes** (``outstanding_votes``): every station of the contest that does not report for it yet (no
  counted result, or a quarantined one) may still bring as many ballots as it has registered voters, each with as
  many votes as a ballot may mark (``max_choices``). One such station with unknown registered voters leaves the
  outstanding votes unknown.
- **Decided** (``seat_calls``, ``measure_decided``): when the election is certified (official), or when the
  outstanding votes are known and cannot change the outcome. A seat holder is elected when their lead over the first
  candidate outside the seats is *greater* than the outstanding votes (equal is not enough: the challenger could draw
  level). A measure has passed (or failed) when it would still pass (or fail) with every outstanding vote against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from fractions import Fraction
from typing import NamedTuple

from results.snapshot import Snapshot, SnapshotContest, SnapshotStation, SnapshotTally

ELECTED, LEADING, TIED = "elected", "leading", "tied"


class Outstanding(NamedTuple):
    """What a contest may still receive: its stations not reporting yet, and bounds on their ballots and votes (None
    when a station among them has unknown registered voters)."""

    stations: int
    ballots: int | None
    votes: int | None


class SeatMargin(NamedTuple):
    """The lead that decides the last seat (the only seat of a single-seat contest): ``ahead`` over ``behind`` by
    ``votes``, ``share`` of the valid votes (None without valid votes). ``votes`` 0 is a tie."""

    ahead: int
    behind: int
    votes: int
    share: float | None
    last_seat: bool


def is_official(snapshot: Snapshot) -> bool:
    """Whether the election's results are official: it is certified, and nothing about it changes again."""
    return snapshot["election"]["status"] == "certified"


def counted_station_ids(contest: SnapshotContest) -> set[int]:
    """The stations whose result counts for the contest (reported and not quarantined): ``tallies.counts_for_reporting``
    as the snapshot records it."""
    return {row["station_id"] for row in contest["stations"] if not row["quarantined"]}


def outstanding_votes(
    contest: SnapshotContest, stations: Mapping[int, SnapshotStation], station_ids: Iterable[int] | None = None
) -> Outstanding:
    """The stations of the contest (or of ``station_ids`` among them) that do not report yet, the ballots they may
    still bring (their registered voters: a sheet with more ballots cast than registered voters is refused), and the
    votes those ballots may carry (``max_choices`` each). Ballots and votes are None when any of those stations has
    unknown registered voters: nothing bounds what it may bring."""
    counted = counted_station_ids(contest)
    waiting = [pk for pk in (contest["station_ids"] if station_ids is None else station_ids) if pk not in counted]
    registered = [stations[pk]["registered_voters"] for pk in waiting]
    if any(n is None for n in registered):
        return Outstanding(len(waiting), None, None)
    ballots = sum(n or 0 for n in registered)
    return Outstanding(len(waiting), ballots, ballots * max(contest["max_choices"], 1))


def ranked_ids(contest: SnapshotContest, tally: SnapshotTally) -> list[tuple[int, int]]:
    """(candidate id, votes), most votes first; equal votes in ballot order (which never decides a tie: the tie
    flags of the tally do)."""
    order = {c["id"]: c["ballot_order"] for c in contest["candidates"]}
    rows = [(row["id"], row["votes"]) for row in tally["candidates"]]
    return sorted(rows, key=lambda pair: (-pair[1], order[pair[0]]))


def seat_margin(contest: SnapshotContest, tally: SnapshotTally) -> SeatMargin | None:
    """The margin that decides the last seat: the last seat holder's votes less those of the first candidate outside
    the seats. None for a measure, before any vote, and when no candidate stands outside the seats."""
    if contest["kind"] == "measure":
        return None
    ranked = ranked_ids(contest, tally)
    seats = contest["seats"]
    if seats < 1 or len(ranked) <= seats or ranked[seats - 1][1] == 0:
        return None
    (ahead, ahead_votes), (behind, behind_votes) = ranked[seats - 1], ranked[seats]
    valid = tally["valid_votes"]
    difference = ahead_votes - behind_votes
    return SeatMargin(ahead, behind, difference, difference / valid if valid else None, seats > 1)


def seat_calls(
    contest: SnapshotContest, tally: SnapshotTally, *, outstanding: Outstanding | None, official: bool
) -> dict[int, str]:
    """Each candidate holding a seat now or tied for the last one: ``"elected"``, ``"leading"`` or ``"tied"``.

    A candidate leading for a seat (``leading`` in the tally: ahead of everyone outside the seats, never on a tie) is
    elected when the results are ``official``, or when their lead over the first candidate outside the seats is
    greater than every vote still ``outstanding`` (that candidate could gain them all; nobody can lose votes). Without
    an ``outstanding`` bound (None, or unknown votes) nobody is elected before the results are official. Candidates
    tied for the last seat stay tied, official or not: ballot order never breaks a tie.
    """
    if contest["kind"] == "measure":
        return {}
    ranked = ranked_ids(contest, tally)
    seats = contest["seats"]
    first_outside = ranked[seats][1] if len(ranked) > seats else 0
    bound = outstanding.votes if outstanding is not None else None
    calls: dict[int, str] = {}
    for row in tally["candidates"]:
        if row.get("tied", False):
            calls[row["id"]] = TIED
        elif row["leading"]:
            decided = official or (bound is not None and row["votes"] - first_outside > bound)
            calls[row["id"]] = ELECTED if decided else LEADING
    return calls


def measure_decided(
    contest: SnapshotContest, tally: SnapshotTally, *, outstanding: Outstanding | None, official: bool
) -> bool:
    """Whether a measure's outcome so far (``contest["passes"]``) is final: the results are official, or it would be
    the same with every outstanding vote going against it (all to "No" when it passes, all to "Yes" when it fails).
    Never before the first vote, nor while the outstanding votes are unknown."""
    passes = contest["passes"]
    if contest["kind"] != "measure" or passes is None:
        return False
    if official:
        return True
    if outstanding is None or outstanding.votes is None or not tally["candidates"]:
        return False
    yes, valid, more = tally["candidates"][0]["votes"], tally["valid_votes"], outstanding.votes
    threshold = contest["threshold"]
    if passes:
        return _passes(yes, valid + more, threshold)
    return not _passes(yes + more, valid + more, threshold)


def _passes(yes: int, valid: int, threshold: float | None) -> bool:
    """The measure rule of ``tallies._measure_passes`` in exact arithmetic: at least ``threshold`` of the votes, or
    more than half without one."""
    if valid == 0:
        return False
    share = Fraction(yes, valid)
    # The threshold is stored with four decimal places: its text is exact where the float is not.
    return share >= Fraction(str(threshold)) if threshold is not None else share > Fraction(1, 2)


class RegisteredCounted(NamedTuple):
    """Registered voters at the stations reporting (``counted``) against all stations of the scope (``total``), and
    the share; ``total`` and ``share`` are None when ``unknown`` stations have no registered voters on record."""

    counted: int
    total: int | None
    share: float | None
    unknown: int


def registered_counted(
    contest: SnapshotContest,
    stations: Mapping[int, SnapshotStation],
    station_ids: Iterable[int] | None = None,
    counted_ids: Set[int] | None = None,
) -> RegisteredCounted:
    """The share of the registered voters of the contest's stations (or of ``station_ids`` among them) that are at
    stations reporting for it (``counted_ids``, when the caller has them already). Unknown when any station of the
    scope has unknown registered voters: its figure is never guessed."""
    if counted_ids is None:
        counted_ids = counted_station_ids(contest)
    counted = total = unknown = 0
    for pk in contest["station_ids"] if station_ids is None else station_ids:
        registered = stations[pk]["registered_voters"]
        if registered is None:
            unknown += 1
            continue
        total += registered
        if pk in counted_ids:
            counted += registered
    if unknown:
        return RegisteredCounted(counted, None, None, unknown)
    return RegisteredCounted(counted, total, counted / total if total else None, 0)
