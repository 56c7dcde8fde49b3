"""What entering a results file into an election would do, read and checked before anything is written: the
station and contest each of its sheets goes to, the numbers of each sheet as the election counts them, what each
entry would be (a first entry, the second of a double entry, a correction, or nothing because the same numbers are
already there) and every part of the file that cannot go in, named. The election is read in a constant number of
queries, however large the file."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from ballots.models import TallySheet, TallySheetVote, TallySheetVoteByType
from ballots.results_files.numbers import SheetNumbers, file_numbers
from elections.models import Candidate, Contest, Election, PollingStation, VoteType
from elections.results_files import FileContest, FileSheet, ResultsFile
from elections.results_files.matching import ElectionIndex
from elections.selectors import list_contest_station_ids

Status = TallySheet.Status
NEW, SECOND_ENTRY, CORRECTION, UNCHANGED, ALREADY_ENTERED = (
    "new",
    "second_entry",
    "correction",
    "unchanged",
    "already_entered",
)
# What an entry of each kind changes: the others leave the election as it is.
WRITES = (NEW, SECOND_ENTRY, CORRECTION)


def file_key_prefix(sha256: str) -> str:
    return f"results-file:{sha256}:"


def idempotency_key_for(sha256: str, station_id: int, contest_id: int) -> str:
    """The key of one sheet of a file: the same file entered again replays, and never counts twice."""
    return f"{file_key_prefix(sha256)}{station_id}:{contest_id}"


@dataclass(frozen=True)
class PlannedSheet:
    station: PollingStation
    contest: Contest
    numbers: SheetNumbers
    action: str
    line: int | None
    idempotency_key: str


@dataclass
class UploadPlan:
    """What entering ``results`` into ``election`` would do; nothing may be entered while ``problems`` has any."""

    election: Election
    results: ResultsFile
    sheets: list[PlannedSheet] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stations_matched: int = 0
    contests_matched: int = 0

    @property
    def counts(self) -> dict[str, int]:
        found = dict.fromkeys((NEW, SECOND_ENTRY, CORRECTION, UNCHANGED, ALREADY_ENTERED), 0)
        for sheet in self.sheets:
            found[sheet.action] += 1
        return found

    @property
    def writes(self) -> list[PlannedSheet]:
        return [sheet for sheet in self.sheets if sheet.action in WRITES]


class UploadPlanner:
    def __init__(self, election: Election, results: ResultsFile, user: User) -> None:
        self.election = election
        self.results = results
        self.user = user
        self.index = ElectionIndex(election)
        self.plan = UploadPlan(election=election, results=results)
        self.type_codes: dict[str, str] = {}

    def problem(self, message: str, line: int | None = None) -> None:
        self.plan.problems.append(
            _("Line %(line)d: %(message)s") % {"line": line, "message": message} if line else message
        )

    def build(self) -> UploadPlan:
        if not self._election_takes_files():
            return self.plan
        self._match_vote_types()
        stations = self._match_stations()
        contests = self._match_contests()
        candidates = self._match_candidates(contests)
        covered = list_contest_station_ids(
            election_id=self.election.pk, stations=self.index.stations, contests=self.index.contests
        )
        current = CurrentSheets(self.election, self.user, self.results.sha256)
        for (station_key, contest_key), sheet in self.results.sheets.items():
            station, contest = stations.get(station_key), contests.get(contest_key)
            if station is None or contest is None or contest.pk not in candidates:
                continue
            if station.pk not in covered.get(contest.pk, set()):
                self.problem(
                    _("Contest “%(contest)s” is not voted on at polling station %(station)s.")
                    % {"contest": contest.name, "station": station.code},
                    sheet.line,
                )
                continue
            self._plan_sheet(station, contest, sheet, candidates[contest.pk], current)
        return self.plan

    def _election_takes_files(self) -> bool:
        election = self.election
        if election.counting_method == Election.CountingMethod.BALLOTS:
            self.problem(_("This election counts ballot by ballot; it takes no tally sheets, so no results file."))
        elif election.status not in {Election.Status.OPEN, Election.Status.CLOSED}:
            self.problem(
                _("“%(election)s” does not accept entries: it is %(status)s.")
                % {"election": election.name, "status": election.get_status_display()}
            )
        return not self.plan.problems

    def _match_vote_types(self) -> None:
        """Each of the election's vote types must be one of the file's; a file's types are left out where the
        election reports none."""
        if not self.index.vote_types:
            return
        for file_type in self.results.vote_types:
            found = self.index.find_vote_type(file_type)
            if found is None:
                self.problem(
                    _("The file gives votes of type “%(type)s”, which is not a vote type of this election.")
                    % {"type": file_type.column}
                )
            else:
                self.type_codes[file_type.code] = found.code
        for vote_type in self.index.vote_types:
            if vote_type.code not in self.type_codes.values():
                self.problem(
                    _("Every sheet of this election gives the votes of type “%(type)s”, and the file has none.")
                    % {"type": vote_type.name}
                )

    def _match_stations(self) -> dict[str, PollingStation]:
        found: dict[str, PollingStation] = {}
        for key, file_station in self.results.stations.items():
            station = self.index.find_station(file_station)
            if station is None:
                self.problem(
                    _("Precinct “%(precinct)s” of %(county)s is not a polling station of this election.")
                    % {"precinct": file_station.precinct, "county": file_station.county or "—"},
                    file_station.line,
                )
            else:
                found[key] = station
        self.plan.stations_matched = len(found)
        return found

    def _match_contests(self) -> dict[str, Contest]:
        found: dict[str, Contest] = {}
        for key, file_contest in self.results.contests.items():
            contest = self.index.find_contest(file_contest)
            if contest is None:
                self.problem(
                    _("Contest “%(contest)s” is not a contest of this election.") % {"contest": file_contest.name},
                    file_contest.line,
                )
            else:
                found[key] = contest
        self.plan.contests_matched = len(found)
        return found

    def _match_candidates(self, contests: dict[str, Contest]) -> dict[int, dict[str, Candidate]]:
        """Per contest, its candidate for each of the file's choices; a contest with a choice that does not stand
        in it, or a candidate the file does not give, is left out with a problem."""
        found: dict[int, dict[str, Candidate]] = {}
        for key, contest in contests.items():
            file_contest = self.results.contests[key]
            by_choice = self._choices_of(file_contest, contest)
            if by_choice is not None:
                found[contest.pk] = by_choice
        return found

    def _choices_of(self, file_contest: FileContest, contest: Contest) -> dict[str, Candidate] | None:
        by_choice: dict[str, Candidate] = {}
        for choice in file_contest.choices:
            candidate = self.index.find_candidate(contest, choice)
            if candidate is None:
                self.problem(
                    _("“%(candidate)s” does not stand in contest “%(contest)s”.")
                    % {"candidate": choice.name, "contest": contest.name},
                    file_contest.line,
                )
            else:
                by_choice[choice.key] = candidate
        given = {candidate.pk for candidate in by_choice.values()}
        for candidate in self.index.candidates.get(contest.pk, []):
            if candidate.pk not in given:
                self.problem(
                    _("The file gives no votes for “%(candidate)s” of contest “%(contest)s”.")
                    % {"candidate": candidate.name_en, "contest": contest.name},
                    file_contest.line,
                )
        return by_choice if len(given) == len(by_choice) == len(self.index.candidates.get(contest.pk, [])) else None

    def _plan_sheet(
        self,
        station: PollingStation,
        contest: Contest,
        sheet: FileSheet,
        candidates: dict[str, Candidate],
        current: CurrentSheets,
    ) -> None:
        file_station = self.results.stations[sheet.station_key]
        numbers, problem = file_numbers(
            election=self.election,
            station=station,
            contest=contest,
            sheet=sheet,
            precinct_ballots_cast=file_station.ballots_cast,
            candidates=candidates,
            type_codes=self.type_codes,
        )
        if numbers is None:
            self.problem(problem, sheet.line)
            return
        key = idempotency_key_for(self.results.sha256, station.pk, contest.pk)
        action, problem = current.action_for(station, contest, numbers, key, self.index.vote_types)
        if problem:
            self.problem(problem, sheet.line)
            return
        self.plan.sheets.append(PlannedSheet(station, contest, numbers, action, sheet.line, key))


class CurrentSheets:
    """The election's open sheets (waiting, in review or counting), read at once, to tell what each of the file's
    sheets would be."""

    def __init__(self, election: Election, user: User, sha256: str) -> None:
        self.user = user
        sheets = TallySheet.objects.filter(station__election=election).exclude(status=Status.SUPERSEDED)
        self.by_pair: dict[tuple[int, int], list[TallySheet]] = defaultdict(list)
        for sheet in sheets.order_by("version"):
            self.by_pair[(sheet.station_id, sheet.contest_id)].append(sheet)
        # Every version that ever came from this file, superseded ones too: a file is entered once.
        self.from_file = set(
            TallySheet.objects.filter(
                station__election=election, idempotency_key__startswith=file_key_prefix(sha256)
            ).values_list("idempotency_key", flat=True)
        )
        current_ids = [
            s.pk for found in self.by_pair.values() for s in found if s.status in TallySheet.CURRENT_STATUSES
        ]
        self.votes: dict[int, dict[int, int]] = defaultdict(dict)
        for sheet_id, candidate_id, votes in TallySheetVote.objects.filter(sheet_id__in=current_ids).values_list(
            "sheet_id", "candidate_id", "votes"
        ):
            self.votes[sheet_id][candidate_id] = votes
        self.by_type: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
        for sheet_id, candidate_id, type_id, votes in TallySheetVoteByType.objects.filter(
            sheet_id__in=current_ids
        ).values_list("sheet_id", "candidate_id", "vote_type_id", "votes"):
            self.by_type[sheet_id][candidate_id][type_id] = votes

    def _same(self, sheet: TallySheet, numbers: SheetNumbers, vote_types: list[VoteType]) -> bool:
        ids = {t.code: t.pk for t in vote_types}
        wanted_by_type = {c: {ids[code]: n for code, n in per.items()} for c, per in numbers.votes_by_type.items()}
        stored = (sheet.ballots_cast, sheet.blank, sheet.invalid, sheet.undervotes, sheet.overvotes)
        given = (numbers.ballots_cast, numbers.blank, numbers.invalid, numbers.undervotes, numbers.overvotes)
        by_type = {c: dict(per) for c, per in self.by_type.get(sheet.pk, {}).items()}
        return stored == given and self.votes.get(sheet.pk, {}) == numbers.votes and by_type == wanted_by_type

    def action_for(
        self, station: PollingStation, contest: Contest, numbers: SheetNumbers, key: str, vote_types: list[VoteType]
    ) -> tuple[str, str]:
        """What entering ``numbers`` would be, or why it cannot be entered now."""
        if key in self.from_file:
            return ALREADY_ENTERED, ""
        found = self.by_pair.get((station.pk, contest.pk), [])
        if any(s.status == Status.NEEDS_REVIEW for s in found):
            return "", _("The sheet of %(station)s for “%(contest)s” is waiting for a supervisor's review.") % {
                "station": station.code,
                "contest": contest.name,
            }
        pending = [s for s in found if s.status == Status.PENDING_SECOND_ENTRY]
        if pending and pending[0].entered_by_id == self.user.pk:
            return "", _(
                "You made the first entry of the sheet of %(station)s for “%(contest)s”; the second must come from "
                "someone else."
            ) % {"station": station.code, "contest": contest.name}
        if pending:
            return SECOND_ENTRY, ""
        counting = [s for s in found if s.status in TallySheet.CURRENT_STATUSES]
        if counting:
            return (UNCHANGED if self._same(counting[0], numbers, vote_types) else CORRECTION), ""
        return NEW, ""
