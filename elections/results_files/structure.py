"""What an election needs to take a results file: the districts (counties), polling stations (precincts), parties,
vote types, contests (with the electoral district each is voted in) and candidates the file names and the election
does not have yet, as unsaved objects. Nothing is written here; ``elections.services.structure`` writes the plan."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from elections.models import Candidate, Contest, District, Election, ElectoralDistrict, Party, PollingStation, VoteType
from elections.results_files import labels
from elections.results_files.matching import ElectionIndex
from elections.results_files.model import FileContest, ResultsFile

# Colours of the parties found in most US files; others get the neutral grey.
PARTY_COLOURS = {
    "rep": "#D62728",
    "r": "#D62728",
    "republican": "#D62728",
    "dem": "#1F77B4",
    "d": "#1F77B4",
    "democratic": "#1F77B4",
    "lib": "#E6AB02",
    "l": "#E6AB02",
    "libertarian": "#E6AB02",
    "grn": "#2CA02C",
    "g": "#2CA02C",
    "green": "#2CA02C",
}


@dataclass
class ContestPlan:
    """A new contest, the area it is voted in (None: the whole election or one district) and its candidates."""

    contest: Contest
    area: ElectoralDistrict | None
    area_stations: list[PollingStation]
    candidates: list[Candidate]


@dataclass
class StructurePlan:
    """What would be created (unsaved objects) and the stations whose unknown registered voters would be filled."""

    election: Election
    districts: list[District] = field(default_factory=list)
    stations: list[PollingStation] = field(default_factory=list)
    filled_registered_voters: list[PollingStation] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    vote_types: list[VoteType] = field(default_factory=list)
    contests: list[ContestPlan] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    counts_undervotes_and_overvotes: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many of each would be created, for the preview."""
        new_candidates = self.candidates + [c for plan in self.contests for c in plan.candidates]
        return {
            "districts": len(self.districts),
            "stations": len(self.stations),
            "registered_voters_filled": len(self.filled_registered_voters),
            "parties": len(self.parties),
            "vote_types": len(self.vote_types),
            "contests": len(self.contests),
            "measures": sum(1 for plan in self.contests if plan.contest.is_measure),
            "electoral_districts": sum(1 for plan in self.contests if plan.area is not None),
            "candidates": len(new_candidates),
            "write_ins": sum(1 for c in new_candidates if c.is_write_in),
        }

    @property
    def is_empty(self) -> bool:
        return not any(self.counts.values()) and not self.counts_undervotes_and_overvotes


def _free(wanted: str, taken: set[str], limit: int) -> str:
    """``wanted``, or it with "-2", "-3" … so that it is not in ``taken`` (which it joins), at most ``limit`` long."""
    candidate, number = wanted[:limit], 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = wanted[: limit - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


class StructurePlanner:
    def __init__(self, election: Election, results: ResultsFile) -> None:
        self.election = election
        self.results = results
        self.index = ElectionIndex(election)
        self.plan = StructurePlan(election=election)
        self.station_of: dict[str, PollingStation] = {}
        self.parties: dict[str, Party] = {}

    def build(self) -> StructurePlan:
        if self.election.status != Election.Status.DRAFT:
            self.plan.problems.append(
                _("The structure can be built from a file only while the election is a draft; it is %(status)s.")
                % {"status": self.election.get_status_display()}
            )
            return self.plan
        self._plan_stations()
        self._plan_vote_types()
        for position, file_contest in enumerate(self.results.contests.values(), start=len(self.index.contests) + 1):
            self._plan_contest(file_contest, position)
        counts_both = self.results.counts_undervotes_and_overvotes
        self.plan.counts_undervotes_and_overvotes = counts_both and not self.election.counts_undervotes_and_overvotes
        return self.plan

    def _district(self, county: str, districts: dict[str, District], codes: set[str]) -> District:
        key = labels.normalise(county)
        if key not in districts:
            code = labels.safe_code(county, limit=32) if county else "area"
            existing = next(
                (d for d in self.index.districts.values() if d.code == code or labels.normalise(d.name) == key), None
            )
            districts[key] = existing or District(
                election=self.election, code=_free(code, codes, 32), name=(county or self.election.name)[:200]
            )
            if existing is None:
                self.plan.districts.append(districts[key])
        return districts[key]

    def _plan_stations(self) -> None:
        districts: dict[str, District] = {}
        district_codes = {d.code for d in self.index.districts.values()}
        station_codes = {s.code for s in self.index.stations}
        for file_station in self.results.stations.values():
            found = self.index.find_station(file_station)
            if found is not None:
                if found.registered_voters is None and file_station.registered_voters is not None:
                    found.registered_voters = file_station.registered_voters
                    self.plan.filled_registered_voters.append(found)
                self.station_of[file_station.key] = found
                continue
            code = labels.station_code(file_station.county, file_station.precinct)
            station = PollingStation(
                election=self.election,
                district=self._district(file_station.county, districts, district_codes),
                code=_free(code, station_codes, 32),
                name=file_station.precinct[:200],
                registered_voters=file_station.registered_voters,
            )
            self.plan.stations.append(station)
            self.station_of[file_station.key] = station

    def _plan_vote_types(self) -> None:
        codes = {t.code for t in self.index.vote_types}
        position = max((t.position for t in self.index.vote_types), default=0)
        for file_type in self.results.vote_types:
            if self.index.find_vote_type(file_type) is None:
                position += 1
                self.plan.vote_types.append(
                    VoteType(
                        election=self.election,
                        code=_free(file_type.code, codes, 32),
                        name=file_type.name[:100],
                        nist_type=file_type.nist_type,
                        position=position,
                    )
                )

    def _party(self, name: str) -> Party | None:
        if not name:
            return None
        key = labels.normalise(name)
        if key not in self.parties:
            existing = self.index.find_party(name)
            if existing is None:
                taken = {p.abbreviation for p in self.index.parties} | {p.abbreviation for p in self.plan.parties}
                existing = Party(
                    election=self.election,
                    name=name[:200],
                    abbreviation=_free(labels.safe_code(name, limit=16), taken, 16),
                    colour=PARTY_COLOURS.get(key, "#777777"),
                )
                self.plan.parties.append(existing)
            self.parties[key] = existing
        return self.parties[key]

    def _voting_stations(self, file_contest: FileContest) -> list[PollingStation]:
        keys = [station_key for station_key, contest_key in self.results.sheets if contest_key == file_contest.key]
        return [self.station_of[key] for key in keys]

    def _area_of(self, contest: Contest, stations: list[PollingStation]) -> ElectoralDistrict | None:
        """None when the contest is voted at every station (the whole election) or at every station of one district
        (which it is then over); otherwise a new electoral district of exactly its stations."""
        every = self.index.stations + self.plan.stations
        voting = {id(station) for station in stations}
        if voting == {id(station) for station in every}:
            return None
        by_district: dict[int, set[int]] = defaultdict(set)
        for station in every:
            by_district[id(station.district)].add(id(station))
        for station in stations:
            if by_district[id(station.district)] == voting:
                contest.district = station.district
                return None
        codes = {plan.area.code for plan in self.plan.contests if plan.area is not None}
        codes |= set(ElectoralDistrict.objects.filter(election=self.election).values_list("code", flat=True))
        return ElectoralDistrict(
            election=self.election, code=_free(labels.safe_code(contest.slug, limit=64), codes, 64), name=contest.name
        )

    def _plan_contest(self, file_contest: FileContest, position: int) -> None:
        contest = self.index.find_contest(file_contest)
        if contest is not None:
            self._plan_missing_candidates(contest, file_contest)
            return
        taken = {c.slug for c in self.index.contests} | {p.contest.slug for p in self.plan.contests}
        contest = Contest(
            election=self.election,
            name=file_contest.name[:200],
            slug=_free(labels.contest_slug(file_contest.name), taken, 80),
            kind=file_contest.kind,
            seats=file_contest.max_choices,
            max_choices=file_contest.max_choices,
            position=position,
        )
        stations = self._voting_stations(file_contest)
        area = self._area_of(contest, stations)
        candidates = [
            Candidate(
                contest=contest,
                name_en=choice.name[:200],
                party=self._party(choice.party),
                ballot_order=order,
                is_write_in=choice.is_write_in,
            )
            for order, choice in enumerate(file_contest.choices, start=1)
        ]
        self.plan.contests.append(
            ContestPlan(contest=contest, area=area, area_stations=stations if area else [], candidates=candidates)
        )

    def _plan_missing_candidates(self, contest: Contest, file_contest: FileContest) -> None:
        order = max((c.ballot_order for c in self.index.candidates.get(contest.pk, [])), default=0)
        for choice in file_contest.choices:
            if self.index.find_candidate(contest, choice) is None:
                order += 1
                self.plan.candidates.append(
                    Candidate(
                        contest=contest,
                        name_en=choice.name[:200],
                        party=self._party(choice.party),
                        ballot_order=order,
                        is_write_in=choice.is_write_in,
                    )
                )


def plan_structure(*, election: Election, results: ResultsFile) -> StructurePlan:
    """What ``election`` (a draft) lacks to take ``results``, as unsaved objects; existing ones are kept as they are,
    except unknown registered voters, which the file fills."""
    return StructurePlanner(election, results).build()
