"""Reads for the entry site and API: each station's progress per contest, the review queue, the last ballot."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Max, QuerySet

from ballots.models import Ballot, StationCount, TallySheet, TallySheetVote, TurnoutReport
from elections.models import Candidate, Contest, Election, PollingStation, VoteType
from elections.names import local_name_of
from elections.selectors import list_contest_station_ids, list_stations_for_user, supervises

Status = TallySheet.Status
# When several versions are open, the one that needs someone's attention is the one to show.
STATUS_PRIORITY = [Status.NEEDS_REVIEW, Status.PENDING_SECOND_ENTRY, Status.QUARANTINED, Status.ACCEPTED]


@dataclass(frozen=True)
class ContestProgress:
    """How far a station's entry for one contest has got."""

    contest: Contest
    candidates: Sequence[Candidate]
    ballots_entered: int
    count_complete: bool
    sheet_status: str | None
    sheet_version: int | None
    # Whether a version counts now (accepted or quarantined), and who made the first entry still waiting for its
    # second: what decides the next step with the sheet.
    has_current_sheet: bool = False
    first_entry_by_id: int | None = None

    @property
    def sheet_status_label(self) -> str:
        return str(Status(self.sheet_status).label) if self.sheet_status else ""


@dataclass(frozen=True)
class StationOverview:
    """A station with its progress in every contest voted on there and its latest turnout."""

    station: PollingStation
    contests: Sequence[ContestProgress]
    turnout_voters: int | None
    turnout_at: dt.datetime | None
    vote_types: Sequence[VoteType] = ()

    @property
    def sheets_counting(self) -> int:
        """How many of the station's contests have a tally sheet that counts (accepted or quarantined)."""
        return sum(1 for progress in self.contests if progress.has_current_sheet)

    @property
    def sheets_in_review(self) -> int:
        """How many of the station's contests have a tally sheet waiting for a supervisor."""
        return sum(1 for progress in self.contests if progress.sheet_status == Status.NEEDS_REVIEW)


@dataclass(frozen=True)
class SheetField:
    """One line of a side-by-side comparison: a label, each version's value, and whether they differ."""

    key: str
    label: str
    values: Sequence[int]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


@dataclass(frozen=True)
class ReviewItem:
    """A station's sheet waiting for a supervisor: the versions in question, compared field by field."""

    station: PollingStation
    contest: Contest
    versions: Sequence[TallySheet]
    fields: Sequence[SheetField]


def _contests_by_station(stations: Sequence[PollingStation]) -> dict[int, list[Contest]]:
    election_ids = {s.election_id for s in stations}
    contests = list(Contest.objects.filter(election_id__in=election_ids).order_by("position", "name"))
    covered: dict[int, set[int]] = {}
    for election_id in election_ids:
        covered.update(list_contest_station_ids(election_id=election_id))
    return {s.pk: [c for c in contests if s.pk in covered.get(c.pk, set())] for s in stations}


def _summarise(stations: Sequence[PollingStation]) -> list[StationOverview]:
    """The overview of ``stations`` in a fixed number of queries, however many there are."""
    ids = [s.pk for s in stations]
    contests = _contests_by_station(stations)
    contest_ids = {c.pk for cs in contests.values() for c in cs}
    candidates: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in Candidate.objects.filter(contest_id__in=contest_ids).order_by("ballot_order"):
        candidates[candidate.contest_id].append(candidate)
    entered = {
        (row["station_id"], row["contest_id"]): row["n"]
        for row in Ballot.objects.filter(station_id__in=ids, void__isnull=True)
        .values("station_id", "contest_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    complete = set(
        StationCount.objects.filter(station_id__in=ids, complete=True).values_list("station_id", "contest_id")
    )
    sheets: dict[tuple[int, int], TallySheet] = {}
    current: set[tuple[int, int]] = set()
    first_entries: dict[tuple[int, int], int] = {}
    for sheet in TallySheet.objects.filter(station_id__in=ids).exclude(status=Status.SUPERSEDED).order_by("version"):
        pair = (sheet.station_id, sheet.contest_id)
        if sheet.status in TallySheet.CURRENT_STATUSES:
            current.add(pair)
        if sheet.status == Status.PENDING_SECOND_ENTRY:
            first_entries.setdefault(pair, sheet.entered_by_id)
        shown = sheets.get(pair)
        if shown is None or STATUS_PRIORITY.index(Status(sheet.status)) < STATUS_PRIORITY.index(Status(shown.status)):
            sheets[pair] = sheet
    turnout = {
        row["station_id"]: row
        for row in TurnoutReport.objects.filter(station_id__in=ids)
        .values("station_id")
        .annotate(voters=Max("voters"), at=Max("at"))
        .order_by()
    }
    vote_types: dict[int, list[VoteType]] = defaultdict(list)
    for vote_type in VoteType.objects.filter(election_id__in={s.election_id for s in stations}):
        vote_types[vote_type.election_id].append(vote_type)
    overviews = []
    for station in stations:
        progress = []
        for contest in contests[station.pk]:
            pair = (station.pk, contest.pk)
            shown = sheets.get(pair)
            progress.append(
                ContestProgress(
                    contest=contest,
                    candidates=candidates[contest.pk],
                    ballots_entered=entered.get(pair, 0),
                    count_complete=pair in complete,
                    sheet_status=shown.status if shown is not None else None,
                    sheet_version=shown.version if shown is not None else None,
                    has_current_sheet=pair in current,
                    first_entry_by_id=first_entries.get(pair),
                )
            )
        report = turnout.get(station.pk)
        overviews.append(
            StationOverview(
                station=station,
                contests=progress,
                turnout_voters=report["voters"] if report else None,
                turnout_at=report["at"] if report else None,
                vote_types=vote_types[station.election_id],
            )
        )
    return overviews


def list_my_stations(user: User | AnonymousUser, *, election_id: int | None = None) -> QuerySet[PollingStation]:
    """The stations ``user`` may work on, in elections that are not drafts, ordered for display."""
    stations = list_stations_for_user(user).exclude(election__status=Election.Status.DRAFT)
    if election_id is not None:
        stations = stations.filter(election_id=election_id)
    return stations.order_by("-election__date", "election__name", "code")


def list_station_overviews(user: User | AnonymousUser, *, election_id: int | None = None) -> list[StationOverview]:
    """Every station ``user`` may work on, with its progress per contest and latest turnout."""
    return _summarise(list(list_my_stations(user, election_id=election_id)))


def get_station_overview(user: User | AnonymousUser, *, station_id: int) -> StationOverview | None:
    """One station's overview, or None when it does not exist or ``user`` may not work on it."""
    station = list_my_stations(user).filter(pk=station_id).first()
    return _summarise([station])[0] if station is not None else None


def get_contest_at_station(overview: StationOverview, *, contest_id: int) -> ContestProgress | None:
    """The progress of one contest voted on at the station, or None."""
    return next((p for p in overview.contests if p.contest.pk == contest_id), None)


def get_last_ballot(*, station: PollingStation, contest: Contest) -> Ballot | None:
    """The most recent ballot of a station and contest that is not void: the one "undo" takes back."""
    return Ballot.objects.filter(station=station, contest=contest, void__isnull=True).order_by("-pk").first()


def get_open_sheet(*, station: PollingStation, contest: Contest) -> TallySheet | None:
    """The version that counts now (accepted or quarantined), or None."""
    return TallySheet.objects.filter(station=station, contest=contest, status__in=TallySheet.CURRENT_STATUSES).first()


def _compare(contest: Contest, versions: Sequence[TallySheet]) -> list[SheetField]:
    votes: dict[int, dict[int, int]] = defaultdict(dict)
    for sheet_id, candidate_id, n in TallySheetVote.objects.filter(sheet__in=versions).values_list(
        "sheet_id", "candidate_id", "votes"
    ):
        votes[sheet_id][candidate_id] = n
    counts = [
        SheetField(
            name,
            str(getattr(TallySheet._meta.get_field(name), "verbose_name", name)).capitalize(),
            [getattr(v, name) for v in versions],
        )
        for name in ("ballots_cast", "blank", "invalid")
    ]
    return counts + [
        SheetField(f"candidate_{c.pk}", local_name_of(c), [votes[v.pk].get(c.pk, 0) for v in versions])
        for c in contest.candidates.order_by("ballot_order")
    ]


def list_review_queue(user: User | AnonymousUser) -> list[ReviewItem]:
    """Sheets in the stations ``user`` supervises that wait for review, each with its versions compared."""
    if not isinstance(user, User):
        return []
    stations = {s.pk: s for s in list_my_stations(user) if supervises(user, s)}
    pairs = sorted(
        set(
            TallySheet.objects.filter(station_id__in=stations, status=Status.NEEDS_REVIEW).values_list(
                "station_id", "contest_id"
            )
        )
    )
    return [item for pair in pairs if (item := _review_item(stations[pair[0]], pair[1])) is not None]


def _review_item(station: PollingStation, contest_id: int) -> ReviewItem | None:
    # Any number can be typed into the address: an unknown contest, or another election's, has nothing to review.
    contest = Contest.objects.filter(pk=contest_id, election_id=station.election_id).first()
    if contest is None:
        return None
    versions = list(
        TallySheet.objects.filter(
            station=station, contest=contest, status__in=[Status.NEEDS_REVIEW, *TallySheet.CURRENT_STATUSES]
        )
        .select_related("entered_by")
        .order_by("version")
    )
    if not versions:
        return None
    return ReviewItem(station=station, contest=contest, versions=versions, fields=_compare(contest, versions))


def get_review_item(user: User | AnonymousUser, *, station_id: int, contest_id: int) -> ReviewItem | None:
    """One sheet waiting for review, if ``user`` supervises its station."""
    station = list_my_stations(user).filter(pk=station_id).first()
    if station is None or not isinstance(user, User) or not supervises(user, station):
        return None
    item = _review_item(station, contest_id)
    if item is None or not any(v.status == Status.NEEDS_REVIEW for v in item.versions):
        return None
    return item


def get_ballot_at(*, station: PollingStation, contest: Contest, ballot_id: int) -> Ballot | None:
    """A ballot of this station and contest, or None."""
    return Ballot.objects.filter(station=station, contest=contest, pk=ballot_id).first()
