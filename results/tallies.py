"""The tallies: station results (``ballots.selectors``) summed per contest, district and election, as plain data.

A snapshot is a JSON-able dict of the shape ``results.snapshot.Snapshot`` declares, so that the cache, the API, the
pages and the live channel all serve the same thing. Nothing here writes; ``results.services`` decides when to build
one and where it goes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils import timezone

from ballots.selectors import StationResult, StationTurnout, list_station_results, list_turnout
from elections.models import Candidate, Contest, District, Election, ElectoralDistrict, Party, PollingStation, VoteType
from elections.selectors import list_contest_station_ids
from results.snapshot import (
    Snapshot,
    SnapshotContest,
    SnapshotDistrictTally,
    SnapshotElection,
    SnapshotStation,
    SnapshotStationResult,
    SnapshotTally,
    SnapshotTotals,
)

SNAPSHOT_SCHEMA = 1


class _Places(NamedTuple):
    """An election's districts and stations, each station's districts (innermost first), registered voters (None
    where unknown), the vote type ids in order, and each contest's stations."""

    districts: list[District]
    stations: list[PollingStation]
    station_chain: dict[int, list[int]]
    registered: dict[int, int | None]
    vote_type_ids: list[int]
    contest_stations: dict[int, set[int]]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _coordinate(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _district_chains(districts: list[District]) -> dict[int, list[int]]:
    """Each district and the districts it lies in, innermost first."""
    parent = {d.pk: d.parent_id for d in districts}
    chains: dict[int, list[int]] = {}
    for district_id in parent:
        chain: list[int] = []
        current: int | None = district_id
        while current is not None and current not in chain:
            chain.append(current)
            current = parent.get(current)
        chains[district_id] = chain
    return chains


class Standing(NamedTuple):
    """Who leads for a contest's seats, and who is tied for the last seat within reach (neither list holds anyone at
    zero votes)."""

    leading: list[int]
    tied: list[int]


def rank_for_seats(candidate_ids: list[int], votes: list[int], seats: int) -> Standing:
    """The candidates leading for ``seats`` seats and those tied for the last of them. When the candidate in the last
    seat has as many votes as the next one, everyone on that number is tied and none of them leads: ballot order never
    breaks a tie on a public page."""
    ranked = sorted(zip(candidate_ids, votes, strict=True), key=lambda pair: -pair[1])
    if seats < 1 or not ranked:
        return Standing([], [])
    if len(ranked) > seats and ranked[seats - 1][1] == ranked[seats][1]:
        cut = ranked[seats][1]
        leading = [candidate_id for candidate_id, n in ranked if n > cut]
        tied = [candidate_id for candidate_id, n in ranked if n == cut and n > 0]
        return Standing(leading, tied)
    return Standing([candidate_id for candidate_id, n in ranked[:seats] if n > 0], [])


def counts_for_reporting(result: StationResult) -> bool:
    """THE reporting rule, for one station and one contest: the station reports for the contest when it has a result
    that counts, that is an accepted tally sheet (or, where the election counts them, its completed ballots) that is
    not quarantined. Sheets waiting for a second entry or for review never reach the station results at all."""
    return not result.quarantined


def stations_reporting_everything(
    contest_stations: Mapping[int, set[int]], results: Iterable[StationResult]
) -> tuple[set[int], set[int]]:
    """The election-wide reading of the same rule: the stations that vote on at least one contest, and those of them
    that report for every contest they vote on. A station quarantined in one contest does not report overall."""
    voting_on: dict[int, set[int]] = defaultdict(set)
    for contest_id, station_ids in contest_stations.items():
        for station_id in station_ids:
            voting_on[station_id].add(contest_id)
    reported: dict[int, set[int]] = defaultdict(set)
    for result in results:
        if counts_for_reporting(result):
            reported[result.station_id].add(result.contest_id)
    reporting = {station_id for station_id, contests in voting_on.items() if contests <= reported[station_id]}
    return set(voting_on), reporting


def _tally(
    candidate_ids: list[int],
    seats: int,
    results: Iterable[StationResult],
    stations_total: int,
    places: _Places,
) -> SnapshotTally:
    registered, type_ids = places.registered, places.vote_type_ids
    votes = [0] * len(candidate_ids)
    by_type = [[0] * len(type_ids) for _ in candidate_ids]
    blank = invalid = undervotes = overvotes = cast = reporting = 0
    # Turnout only over the stations whose registered voters are known: an unknown figure is never guessed.
    registered_known = cast_where_known = 0
    for result in results:
        reporting += 1
        station_registered = registered[result.station_id]
        if station_registered is not None:
            registered_known += station_registered
            cast_where_known += result.ballots_cast
        cast += result.ballots_cast
        blank += result.blank
        invalid += result.invalid
        undervotes += result.undervotes
        overvotes += result.overvotes
        for index, candidate_id in enumerate(candidate_ids):
            votes[index] += result.votes.get(candidate_id, 0)
            per_type = result.by_type.get(candidate_id)
            if per_type:
                for position, type_id in enumerate(type_ids):
                    by_type[index][position] += per_type.get(type_id, 0)
    valid_votes = sum(votes)
    standing = rank_for_seats(candidate_ids, votes, seats)
    leading, tied = set(standing.leading), set(standing.tied)
    return {
        "candidates": [
            {
                "id": candidate_id,
                "votes": n,
                "share": _ratio(n, valid_votes),
                "leading": candidate_id in leading,
                "tied": candidate_id in tied,
                "by_type": split,
            }
            for candidate_id, n, split in zip(candidate_ids, votes, by_type, strict=True)
        ],
        "valid_votes": valid_votes,
        "blank": blank,
        "invalid": invalid,
        "undervotes": undervotes,
        "overvotes": overvotes,
        "ballots_cast": cast,
        "registered_voters": registered_known,
        "turnout": _ratio(cast_where_known, registered_known),
        "stations_reporting": reporting,
        "stations_total": stations_total,
    }


def _station_row(
    result: StationResult, candidate_ids: list[int], seats: int, type_ids: list[int]
) -> SnapshotStationResult:
    votes = [result.votes.get(candidate_id, 0) for candidate_id in candidate_ids]
    by_type = (
        [[result.by_type.get(cid, {}).get(type_id, 0) for type_id in type_ids] for cid in candidate_ids]
        if result.by_type
        else []
    )
    standing = rank_for_seats(candidate_ids, votes, seats)
    return {
        "station_id": result.station_id,
        "ballots_cast": result.ballots_cast,
        "blank": result.blank,
        "invalid": result.invalid,
        "undervotes": result.undervotes,
        "overvotes": result.overvotes,
        "votes": votes,
        "votes_by_type": by_type,
        "leading": standing.leading,
        "tied": standing.tied,
        "source": result.source,
        "sheet_version": result.sheet_version,
        "quarantined": result.quarantined,
        "quarantine_reason": result.quarantine_reason,
    }


def build_snapshot(*, election: Election, version: int) -> Snapshot:
    """Recount ``election`` from the database into a snapshot numbered ``version``, in a constant number of queries."""
    districts = list(District.objects.filter(election=election).order_by("code"))
    stations = list(PollingStation.objects.filter(election=election).order_by("code"))
    parties = list(Party.objects.filter(election=election).order_by("name"))
    contests = list(Contest.objects.filter(election=election).order_by("position", "name"))
    candidates: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in Candidate.objects.filter(contest__election=election).order_by("contest_id", "ballot_order"):
        candidates[candidate.contest_id].append(candidate)
    vote_types = list(VoteType.objects.filter(election=election).order_by("position", "code"))
    areas = list(ElectoralDistrict.objects.filter(election=election).order_by("code"))
    results = list_station_results(election=election)
    turnout = list_turnout(election=election)

    chains = _district_chains(districts)
    station_chain = {s.pk: chains.get(s.district_id, [s.district_id]) for s in stations}
    registered = {s.pk: s.registered_voters for s in stations}
    contest_stations = list_contest_station_ids(
        election_id=election.pk, districts=districts, stations=stations, contests=contests
    )
    places = _Places(districts, stations, station_chain, registered, [t.pk for t in vote_types], contest_stations)
    by_contest: dict[int, list[StationResult]] = defaultdict(list)
    for result in results:
        by_contest[result.contest_id].append(result)

    contest_rows = [
        _contest_row(contest, candidates[contest.pk], by_contest[contest.pk], places) for contest in contests
    ]
    return {
        "schema": SNAPSHOT_SCHEMA,
        "version": version,
        "updated_at": timezone.now().isoformat(),
        "election": _election_row(election),
        "totals": _election_totals(
            results=results, turnout=turnout, registered=registered, contest_stations=contest_stations
        ),
        "parties": [
            {"id": p.pk, "name": p.name, "name_ar": p.name_ar, "abbreviation": p.abbreviation, "colour": p.colour}
            for p in parties
        ],
        "vote_types": [
            {"id": t.pk, "code": t.code, "name": t.name, "name_ar": t.name_ar, "nist_type": t.nist_type}
            for t in vote_types
        ],
        "electoral_districts": [{"id": a.pk, "code": a.code, "name": a.name, "name_ar": a.name_ar} for a in areas],
        "districts": [
            {"id": d.pk, "code": d.code, "name": d.name, "name_ar": d.name_ar, "parent_id": d.parent_id}
            for d in districts
        ],
        "stations": _station_rows(stations, turnout=turnout),
        "contests": contest_rows,
    }


def _contest_row(
    contest: Contest, candidates: list[Candidate], results: list[StationResult], places: _Places
) -> SnapshotContest:
    """One contest of the snapshot: its candidates, its tallies overall and per district, and its station rows
    (``results`` are the contest's station results, from every station of the election)."""
    candidate_ids = [c.pk for c in candidates]
    scope = places.contest_stations.get(contest.pk, set())
    in_scope = [s.pk for s in places.stations if s.pk in scope]
    reported = [r for r in results if r.station_id in scope]
    counted = [r for r in reported if counts_for_reporting(r)]
    totals = _tally(candidate_ids, contest.seats, counted, len(in_scope), places)
    threshold = float(contest.threshold) if contest.threshold is not None else None
    return {
        "id": contest.pk,
        "slug": contest.slug,
        "name": contest.name,
        "name_ar": contest.name_ar,
        "kind": contest.kind,
        "threshold": threshold,
        "passes": _measure_passes(totals, threshold) if contest.is_measure else None,
        "district_id": contest.district_id,
        "electoral_district_id": contest.electoral_district_id,
        "station_ids": in_scope,
        "seats": contest.seats,
        "max_choices": contest.max_choices,
        "candidates": [
            {
                "id": c.pk,
                "name": c.name_en,
                "name_ar": c.name_ar,
                "party_id": c.party_id,
                "ballot_order": c.ballot_order,
                "is_write_in": c.is_write_in,
            }
            for c in candidates
        ],
        "totals": totals,
        "districts": _district_tallies(candidate_ids, contest.seats, in_scope, counted, places),
        "stations": [_station_row(r, candidate_ids, contest.seats, places.vote_type_ids) for r in reported],
        "quarantined": [r.station_id for r in reported if r.quarantined],
    }


def _district_tallies(
    candidate_ids: list[int], seats: int, in_scope: list[int], counted: list[StationResult], places: _Places
) -> list[SnapshotDistrictTally]:
    """A contest's tally in each district that holds stations of its scope, rolled up through the parents."""
    station_chain = places.station_chain
    members: dict[int, int] = defaultdict(int)
    for pk in in_scope:
        for district_id in station_chain[pk]:
            members[district_id] += 1
    counted_in: dict[int, list[StationResult]] = defaultdict(list)
    for result in counted:
        for district_id in station_chain[result.station_id]:
            counted_in[district_id].append(result)
    return [
        {
            "district_id": district.pk,
            **_tally(candidate_ids, seats, counted_in[district.pk], members[district.pk], places),
        }
        for district in places.districts
        if members[district.pk]
    ]


def _election_row(election: Election) -> SnapshotElection:
    return {
        "id": election.pk,
        "slug": election.slug,
        "name": election.name,
        "name_ar": election.name_ar,
        "date": election.date.isoformat(),
        "time_zone": election.time_zone,
        "status": election.status,
        "results_visibility": election.results_visibility,
        "counting_method": election.counting_method,
        "counts_blank_and_invalid": election.counts_blank_and_invalid,
        "counts_undervotes_and_overvotes": election.counts_undervotes_and_overvotes,
    }


def _measure_passes(totals: SnapshotTally, threshold: float | None) -> bool | None:
    """Whether a measure's first choice ("Yes") passes: at least ``threshold`` of the votes for its choices, or more
    than half when there is none. None before any vote."""
    choices = totals["candidates"]
    if not choices or not totals["valid_votes"]:
        return None
    share = choices[0]["votes"] / totals["valid_votes"]
    return share >= threshold if threshold is not None else share > 0.5


def _election_totals(
    *,
    results: list[StationResult],
    turnout: Mapping[int, StationTurnout],
    registered: dict[int, int | None],
    contest_stations: Mapping[int, set[int]],
) -> SnapshotTotals:
    """How many stations vote on at least one contest and how many of them report for every contest they vote on
    (``stations_reporting_everything``), and the turnout the stations have reported so far (over the stations whose
    registered voters are known)."""
    known = {pk for pk, n in registered.items() if n is not None}
    turnout_voters = sum(t.voters for t in turnout.values())
    turnout_known = sum(t.voters for pk, t in turnout.items() if pk in known)
    turnout_registered = sum(registered[pk] or 0 for pk in turnout if pk in known)
    voting, reporting = stations_reporting_everything(contest_stations, results)
    return {
        "stations_total": len(voting),
        "stations_reporting": len(reporting),
        "registered_voters": sum(registered[pk] or 0 for pk in known),
        "turnout_voters": turnout_voters,
        "turnout_stations": len(turnout),
        "turnout": _ratio(turnout_known, turnout_registered),
    }


def _station_rows(stations: list[PollingStation], *, turnout: Mapping[int, StationTurnout]) -> list[SnapshotStation]:
    return [
        {
            "id": s.pk,
            "code": s.code,
            "name": s.name,
            "name_ar": s.name_ar,
            "district_id": s.district_id,
            "registered_voters": s.registered_voters,
            "latitude": _coordinate(s.latitude),
            "longitude": _coordinate(s.longitude),
            "turnout_voters": turnout[s.pk].voters if s.pk in turnout else None,
            "turnout_at": turnout[s.pk].at.isoformat() if s.pk in turnout else None,
        }
        for s in stations
    ]


def compare_snapshots(expected: Mapping[str, Any], served: Mapping[str, Any]) -> list[str]:
    """Every place where ``served`` differs from ``expected``, as ``path: expected != served``; build details
    (version, time and the audit head) are left out because they differ between two builds of the same data. Either
    may be a snapshot or what was read back from its JSON."""
    differences: list[str] = []

    def walk(path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                # Build details, and the audit log's head, which a count publishes as it finds it.
                if path == "" and key in {"version", "updated_at", "counted_at", "audit_head"}:
                    continue
                walk(f"{path}.{key}" if path else str(key), a.get(key), b.get(key))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(f"{path}[{index}]", x, y)
        elif a != b:
            differences.append(f"{path}: {a!r} != {b!r}")

    walk("", expected, served)
    return differences
