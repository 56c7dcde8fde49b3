"""Which of an election's stations, contests, candidates, parties and vote types a results file means. The election
is read once, in a constant number of queries, however large the file; the rules match a file to the structure
built from it (``elections.services.structure``) and to one set up by hand with the same codes or names."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from elections.models import Candidate, Contest, District, Election, Party, PollingStation, VoteType
from elections.results_files import labels
from elections.results_files.model import FileChoice, FileContest, FileStation, FileVoteType

N = labels.normalise


def _unique(found: Iterable[PollingStation]) -> PollingStation | None:
    """The one object found, or None when none or several were."""
    found = list(found)
    return found[0] if len(found) == 1 else None


class ElectionIndex:
    """An election's structure, held for matching a file to it."""

    def __init__(self, election: Election) -> None:
        self.election = election
        self.districts = {d.pk: d for d in District.objects.filter(election=election).order_by("pk")}
        self.stations = list(PollingStation.objects.filter(election=election).order_by("pk"))
        self.contests = list(Contest.objects.filter(election=election).order_by("position", "pk"))
        self.candidates: dict[int, list[Candidate]] = defaultdict(list)
        for candidate in Candidate.objects.filter(contest__election=election).order_by("contest_id", "ballot_order"):
            self.candidates[candidate.contest_id].append(candidate)
        self.parties = list(Party.objects.filter(election=election).order_by("pk"))
        self.vote_types = list(VoteType.objects.filter(election=election).order_by("position", "code"))
        self._by_code = {station.code: station for station in self.stations}
        self._by_place: dict[tuple[str, str], list[PollingStation]] = defaultdict(list)
        self._by_name: dict[str, list[PollingStation]] = defaultdict(list)
        for station in self.stations:
            district = self.districts.get(station.district_id)
            self._by_place[(N(district.name) if district else "", N(station.name))].append(station)
            self._by_name[N(station.name)].append(station)

    def find_station(self, station: FileStation) -> PollingStation | None:
        """By a code the file gives it, by the code made from its county and precinct, by its county's and its own
        name, then by its precinct as a code or a name found once."""
        for code in (*station.identifiers, labels.station_code(station.county, station.precinct)):
            if code in self._by_code:
                return self._by_code[code]
        by_place = _unique(self._by_place.get((N(station.county), N(station.precinct)), []))
        if by_place is not None:
            return by_place
        if station.precinct in self._by_code:
            return self._by_code[station.precinct]
        return _unique(self._by_name.get(N(station.precinct), []))

    def find_contest(self, contest: FileContest) -> Contest | None:
        """By the name made from its office and district, its slug, or (with no district) its office."""
        names = {N(contest.name)} | ({N(contest.office)} if not contest.district else set())
        slug = labels.contest_slug(contest.name)
        found = [c for c in self.contests if N(c.name) in names or c.slug == slug]
        return found[0] if len(found) == 1 else None

    def find_candidate(self, contest: Contest, choice: FileChoice) -> Candidate | None:
        """By name in either language; a measure's "For" is its "Yes" and "Against" its "No"."""
        candidates = self.candidates.get(contest.pk, [])
        for candidate in candidates:
            if choice.key in {N(candidate.name_en), N(candidate.name_ar)}:
                return candidate
        side = labels.measure_side(choice.name)
        if contest.is_measure and side is not None:
            return next((c for c in candidates if labels.measure_side(c.name_en) == side), None)
        return None

    def find_party(self, name: str) -> Party | None:
        code = labels.safe_code(name, limit=16)
        return next(
            (p for p in self.parties if N(name) in {N(p.name), N(p.abbreviation)} or p.abbreviation == code), None
        )

    def find_vote_type(self, vote_type: FileVoteType) -> VoteType | None:
        """By code or name, else the one of the same NIST count type (when only one has it)."""
        for found in self.vote_types:
            if found.code == vote_type.code or N(found.name) == N(vote_type.name):
                return found
        same_kind = [
            t for t in self.vote_types if t.nist_type == vote_type.nist_type and vote_type.nist_type != "other"
        ]
        return same_kind[0] if len(same_kind) == 1 else None
