"""What a batch of tally sheets reads once, under its stations' locks, for ``ballots.services.sheet_batch``: the
stations, contests, candidates, vote types, the stations each contest is voted at, what the user supervises, and the
open versions of each sheet, in a constant number of queries (plus a few per contest over an area)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from ballots.models import TallySheet, TallySheetVote, TallySheetVoteByType
from ballots.rules import list_vote_type_ids
from ballots.services.locking import lock_stations
from ballots.services.sheets import OpenSheets, open_or_newest_sheets
from elections.models import Candidate, Contest, ElectoralDistrict, PollingStation, SupervisorAssignment
from elections.selectors import list_district_ids_under
from trust.roles import is_official

Status = TallySheet.Status


@dataclass
class BatchContext:
    """What a batch reads once: the user, the locked stations, the contests with their candidates, the vote types
    of each election, which of the stations vote on each contest, and the districts the user supervises (None: all,
    an official)."""

    user: User
    client_address: str | None
    stations: dict[int, PollingStation] = field(default_factory=dict)
    contests: dict[int, Contest] = field(default_factory=dict)
    candidates: dict[int, set[int]] = field(default_factory=dict)
    vote_types: dict[int, dict[str, int]] = field(default_factory=dict)
    covered: dict[int, set[int]] = field(default_factory=dict)
    supervised: set[int] | None = None
    windows: dict[int, bool] = field(default_factory=dict)


def read_batch(context: BatchContext, *, station_ids: Iterable[int], contest_ids: set[int]) -> None:
    """Lock the batch's stations and read what checking its sheets needs, in a constant number of queries (plus a
    few per contest over an electoral district or a district)."""
    context.stations = lock_stations(station_ids, context.user)
    context.contests = Contest.objects.in_bulk(contest_ids)
    for contest_id, candidate_id in Candidate.objects.filter(contest_id__in=context.contests).values_list(
        "contest_id", "pk"
    ):
        context.candidates.setdefault(contest_id, set()).add(candidate_id)
    for contest_id in context.contests:
        context.candidates.setdefault(contest_id, set())
    for election_id in {station.election_id for station in context.stations.values()}:
        context.vote_types[election_id] = list_vote_type_ids(election_id)
    station_ids = set(context.stations)
    for contest in context.contests.values():
        context.covered[contest.pk] = _stations_covered(contest, context.stations.values(), station_ids)
    if not is_official(context.user):
        supervised = set(SupervisorAssignment.objects.filter(user=context.user).values_list("district_id", flat=True))
        context.supervised = list_district_ids_under(supervised) if supervised else set()


def _stations_covered(contest: Contest, stations: Iterable[PollingStation], station_ids: set[int]) -> set[int]:
    """Which of the batch's stations vote on ``contest``: the rule of ``list_contest_station_ids``, read for these
    stations only."""
    mine = [s for s in stations if s.election_id == contest.election_id]
    if contest.electoral_district_id is not None:
        area = contest.electoral_district_id
        direct = set(
            ElectoralDistrict.stations.through.objects.filter(
                electoraldistrict_id=area, pollingstation_id__in=station_ids
            ).values_list("pollingstation_id", flat=True)
        )
        districts = set(
            ElectoralDistrict.districts.through.objects.filter(electoraldistrict_id=area).values_list(
                "district_id", flat=True
            )
        )
        under = list_district_ids_under(districts) if districts else set()
        return {s.pk for s in mine if s.pk in direct or s.district_id in under}
    if contest.district_id is not None:
        under = list_district_ids_under({contest.district_id})
        return {s.pk for s in mine if s.district_id in under}
    return {s.pk for s in mine}


def supervises_in_batch(context: BatchContext, station: PollingStation) -> bool:
    return context.supervised is None or station.district_id in context.supervised


def read_open_sheets(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], OpenSheets]:
    """The versions of each station and contest of ``pairs``, read under the locks in one query, with the votes of
    those waiting for a second entry (compared with it) in two more."""
    found = {pair: OpenSheets({status: [] for status in Status.values}) for pair in pairs}
    rows = open_or_newest_sheets(station_id__in={s for s, _c in pairs}, contest_id__in={c for _s, c in pairs})
    pending: dict[int, TallySheet] = {}
    for sheet in rows:
        sheets = found.get((sheet.station_id, sheet.contest_id))
        if sheets is None:
            continue
        sheets[sheet.status].append(sheet)
        sheets.latest_version = sheet.version
        if sheet.status == Status.PENDING_SECOND_ENTRY:
            sheet._votes, sheet._votes_by_type = {}, {}  # type: ignore[attr-defined]
            pending[sheet.pk] = sheet
    if pending:
        for sheet_id, candidate_id, votes in TallySheetVote.objects.filter(sheet_id__in=pending).values_list(
            "sheet_id", "candidate_id", "votes"
        ):
            pending[sheet_id]._votes[candidate_id] = votes  # type: ignore[attr-defined]
        by_type = TallySheetVoteByType.objects.filter(sheet_id__in=pending)
        for sheet_id, candidate_id, type_id, votes in by_type.values_list(
            "sheet_id", "candidate_id", "vote_type_id", "votes"
        ):
            pending[sheet_id]._votes_by_type.setdefault(candidate_id, {})[type_id] = votes  # type: ignore[attr-defined]
    return found
