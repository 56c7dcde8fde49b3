"""Reads of entries: the station-result rule (the accepted sheet; the ballots once complete; both must agree), the
ballots counted so far, and a sheet's public history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from ballots.models import Ballot, BallotMark, StationCount, TallySheet, TallySheetVote, TallySheetVoteByType
from elections.models import Candidate, Contest, Election, PollingStation

SOURCE_SHEET = "tally_sheet"
SOURCE_BALLOTS = "ballots"
SOURCE_BOTH = "ballots_and_tally_sheet"


@dataclass(frozen=True)
class Numbers:
    """A count: ballots cast, blank, invalid and votes per candidate id (every candidate of the contest); where the
    election counts them, undervotes and overvotes, and where it reports vote types, each candidate's votes per
    vote type id (their sum is ``votes``)."""

    ballots_cast: int
    blank: int
    invalid: int
    votes: Mapping[int, int] = field(default_factory=dict)
    undervotes: int = 0
    overvotes: int = 0
    by_type: Mapping[int, Mapping[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class StationResult:
    """What one station reports for one contest. A quarantined result is shown but left out of the tallies."""

    station_id: int
    contest_id: int
    ballots_cast: int
    blank: int
    invalid: int
    votes: Mapping[int, int]
    source: str
    quarantined: bool
    quarantine_reason: str
    sheet_version: int | None
    undervotes: int = 0
    overvotes: int = 0
    by_type: Mapping[int, Mapping[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetVersion:
    """One version of a tally sheet as the public may see it (no clerk names)."""

    version: int
    status: str
    entered_at: dt.datetime
    reason: str
    quarantine_reason: str
    numbers: Numbers


Pair = tuple[int, int]


def describe_difference(ballots: Numbers, sheet: Numbers, names: Mapping[int, str]) -> str:
    """Where the ballots entered and the tally sheet differ, in words; empty when they agree."""
    parts: list[str] = []
    for label, counted, written in (
        (_("ballots cast"), ballots.ballots_cast, sheet.ballots_cast),
        (_("blank"), ballots.blank, sheet.blank),
        (_("invalid"), ballots.invalid, sheet.invalid),
    ):
        if counted != written:
            parts.append(
                _("%(what)s: %(ballots)d in the ballots, %(sheet)d on the sheet")
                % {"what": label, "ballots": counted, "sheet": written}
            )
    for candidate_id in sorted(set(ballots.votes) | set(sheet.votes)):
        counted, written = ballots.votes.get(candidate_id, 0), sheet.votes.get(candidate_id, 0)
        if counted != written:
            parts.append(
                _("%(what)s: %(ballots)d in the ballots, %(sheet)d on the sheet")
                % {"what": names.get(candidate_id, str(candidate_id)), "ballots": counted, "sheet": written}
            )
    return "; ".join(parts)


def _combine(
    pair: Pair,
    *,
    method: str,
    sheet: TallySheet | None,
    sheet_numbers: Numbers | None,
    ballot_numbers: Numbers | None,
    names: Mapping[int, str],
) -> StationResult | None:
    """THE station-result rule: the accepted sheet; the ballots once complete; both must agree."""
    if method == Election.CountingMethod.BALLOTS:
        sheet = sheet_numbers = None
    if method == Election.CountingMethod.TALLY_SHEETS:
        ballot_numbers = None
    if sheet is not None and sheet_numbers is not None:
        quarantined = sheet.status == TallySheet.Status.QUARANTINED
        reason = sheet.quarantine_reason if quarantined else ""
        source = SOURCE_SHEET
        if ballot_numbers is not None:
            source = SOURCE_BOTH
            difference = describe_difference(ballot_numbers, sheet_numbers, names)
            if difference and not quarantined:
                quarantined, reason = True, difference
        numbers, version = sheet_numbers, sheet.version
    elif ballot_numbers is not None:
        numbers, version, source, quarantined, reason = ballot_numbers, None, SOURCE_BALLOTS, False, ""
    else:
        return None
    return StationResult(
        station_id=pair[0],
        contest_id=pair[1],
        ballots_cast=numbers.ballots_cast,
        blank=numbers.blank,
        invalid=numbers.invalid,
        votes=numbers.votes,
        source=source,
        quarantined=quarantined,
        quarantine_reason=reason,
        sheet_version=version,
        undervotes=numbers.undervotes,
        overvotes=numbers.overvotes,
        by_type=numbers.by_type,
    )


Zeros = Callable[[int], dict[int, int]]


def _current_sheets(scope: Mapping[str, object], zeros: Zeros) -> tuple[dict[Pair, TallySheet], dict[Pair, Numbers]]:
    """The sheet that counts per (station, contest) in ``scope``, and its numbers."""
    sheets = {
        (s.station_id, s.contest_id): s
        for s in TallySheet.objects.filter(status__in=TallySheet.CURRENT_STATUSES, **scope)
    }
    sheet_votes: dict[int, dict[int, int]] = defaultdict(dict)
    vote_rows = TallySheetVote.objects.filter(
        sheet__status__in=TallySheet.CURRENT_STATUSES, **{f"sheet__{k}": v for k, v in scope.items()}
    ).values_list("sheet_id", "candidate_id", "votes")
    for sheet_id, candidate_id, votes in vote_rows:
        sheet_votes[sheet_id][candidate_id] = votes
    by_type = _votes_by_type(
        TallySheetVoteByType.objects.filter(
            sheet__status__in=TallySheet.CURRENT_STATUSES, **{f"sheet__{k}": v for k, v in scope.items()}
        )
    )
    numbers = {
        pair: Numbers(
            s.ballots_cast,
            s.blank,
            s.invalid,
            {**zeros(pair[1]), **sheet_votes[s.pk]},
            s.undervotes,
            s.overvotes,
            by_type.get(s.pk, {}),
        )
        for pair, s in sheets.items()
    }
    return sheets, numbers


def _votes_by_type(rows: QuerySet[TallySheetVoteByType]) -> dict[int, dict[int, dict[int, int]]]:
    """Per sheet id, each candidate's votes per vote type id."""
    found: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for sheet_id, candidate_id, vote_type_id, votes in rows.values_list(
        "sheet_id", "candidate_id", "vote_type_id", "votes"
    ):
        found[sheet_id][candidate_id][vote_type_id] = votes
    return {sheet_id: dict(per_candidate) for sheet_id, per_candidate in found.items()}


def _completed_ballots(scope: Mapping[str, object], zeros: Zeros) -> dict[Pair, Numbers]:
    """The ballots per (station, contest) in ``scope`` whose count is complete (voids left out)."""
    complete = set(StationCount.objects.filter(complete=True, **scope).values_list("station_id", "contest_id"))
    kinds: dict[Pair, dict[str, int]] = defaultdict(dict)
    ballot_rows = (
        Ballot.objects.filter(void__isnull=True, **scope)
        .values_list("station_id", "contest_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for station_id, contest_id, kind, n in ballot_rows:
        kinds[(station_id, contest_id)][kind] = n
    marks: dict[Pair, dict[int, int]] = defaultdict(dict)
    mark_rows = (
        BallotMark.objects.filter(ballot__void__isnull=True, **{f"ballot__{k}": v for k, v in scope.items()})
        .values_list("ballot__station_id", "ballot__contest_id", "candidate_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for station_id, contest_id, candidate_id, n in mark_rows:
        marks[(station_id, contest_id)][candidate_id] = n
    return {
        pair: Numbers(
            sum(kinds[pair].values()),
            kinds[pair].get(Ballot.Kind.BLANK, 0),
            kinds[pair].get(Ballot.Kind.INVALID, 0),
            {**zeros(pair[1]), **marks[pair]},
        )
        for pair in complete
    }


def _compute_results(
    election: Election, station: PollingStation | None = None, contest: Contest | None = None
) -> list[StationResult]:
    """Every station result of ``election`` (or of one station and contest) in a fixed number of queries."""
    scope: dict[str, object] = {"station__election": election}
    if station is not None:
        scope["station"] = station
    if contest is not None:
        scope["contest"] = contest
    candidates: dict[int, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    candidate_rows = Candidate.objects.filter(contest__election=election).values_list("pk", "contest_id", "name_en")
    for candidate_id, contest_id, name in candidate_rows:
        candidates[contest_id].append(candidate_id)
        names[candidate_id] = name

    def zeros(contest_id: int) -> dict[int, int]:
        return dict.fromkeys(candidates[contest_id], 0)

    sheets, sheet_numbers = _current_sheets(scope, zeros)
    ballot_numbers = _completed_ballots(scope, zeros)
    results = []
    for pair in sorted(set(sheets) | set(ballot_numbers)):
        result = _combine(
            pair,
            method=election.counting_method,
            sheet=sheets.get(pair),
            sheet_numbers=sheet_numbers.get(pair),
            ballot_numbers=ballot_numbers.get(pair),
            names=names,
        )
        if result is not None:
            results.append(result)
    return results


def get_station_result(*, station: PollingStation, contest: Contest) -> StationResult | None:
    """The result of one station for one contest, or None when it has not reported."""
    results = _compute_results(station.election, station=station, contest=contest)
    return results[0] if results else None


def list_station_results(*, election: Election) -> list[StationResult]:
    """Every reported station result of ``election``, ordered by station and contest id, in constant queries."""
    return _compute_results(election)


def count_ballots(*, station: PollingStation, contest: Contest) -> Numbers:
    """The ballots entered so far (voids left out), whether or not the count is complete."""
    kinds = dict(
        Ballot.objects.filter(station=station, contest=contest, void__isnull=True)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("kind", "n")
    )
    votes = dict.fromkeys(contest.candidates.values_list("pk", flat=True), 0)
    mark_rows = (
        BallotMark.objects.filter(ballot__station=station, ballot__contest=contest, ballot__void__isnull=True)
        .values_list("candidate_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("candidate_id", "n")
    )
    votes.update(dict(mark_rows))
    return Numbers(sum(kinds.values()), kinds.get(Ballot.Kind.BLANK, 0), kinds.get(Ballot.Kind.INVALID, 0), votes)


def is_count_complete(*, station: PollingStation, contest: Contest) -> bool:
    return StationCount.objects.filter(station=station, contest=contest, complete=True).exists()


def sheet_numbers(sheet: TallySheet) -> Numbers:
    votes = dict.fromkeys(sheet.contest.candidates.values_list("pk", flat=True), 0)
    votes.update(dict(sheet.votes.values_list("candidate_id", "votes")))
    by_type = _votes_by_type(TallySheetVoteByType.objects.filter(sheet=sheet)).get(sheet.pk, {})
    return Numbers(sheet.ballots_cast, sheet.blank, sheet.invalid, votes, sheet.undervotes, sheet.overvotes, by_type)


def list_sheet_history(*, station: PollingStation, contest: Contest) -> list[SheetVersion]:
    """Every version of a station's tally sheet for a contest, oldest first: numbers, times and reasons."""
    sheets = list(TallySheet.objects.filter(station=station, contest=contest).order_by("version"))
    votes: dict[int, dict[int, int]] = defaultdict(dict)
    for sheet_id, candidate_id, n in TallySheetVote.objects.filter(sheet__in=sheets).values_list(
        "sheet_id", "candidate_id", "votes"
    ):
        votes[sheet_id][candidate_id] = n
    by_type = _votes_by_type(TallySheetVoteByType.objects.filter(sheet__in=sheets))
    return [
        SheetVersion(
            version=s.version,
            status=s.status,
            entered_at=s.entered_at,
            reason=s.reason,
            quarantine_reason=s.quarantine_reason,
            numbers=Numbers(
                s.ballots_cast, s.blank, s.invalid, votes[s.pk], s.undervotes, s.overvotes, by_type.get(s.pk, {})
            ),
        )
        for s in sheets
    ]
