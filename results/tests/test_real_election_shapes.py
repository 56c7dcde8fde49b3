"""The shapes real ballots take, through the entry services and into the tallies: contests over a set of stations
that crosses districts, votes by type, undervotes and overvotes, unknown registered voters, ballot measures,
write-ins and names in one language only."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from ballots.models import TallySheet, TallySheetVoteByType
from ballots.services import submit_tally_sheet
from ballots.tests.support import set_counting, submit_sheet
from elections import services as election_services
from elections.models import Candidate, Contest, Election, ElectoralDistrict, PollingStation, VoteType
from elections.names import local_name_of
from elections.selectors import list_contest_station_ids
from results.services import refresh_tallies
from results.tallies import build_snapshot
from trust.errors import EntryRejected

pytestmark = pytest.mark.django_db


def _draft_again(election: Election, **fields: object) -> None:
    """Change fields the database freezes once an election has left draft, then return it to its status."""
    rows = Election.objects.filter(pk=election.pk)
    status = rows.values_list("status", flat=True).get()
    rows.update(status=Election.Status.DRAFT)
    rows.update(**fields)
    rows.update(status=status)
    election.refresh_from_db()


@pytest.fixture
def area_contest(open_vote: Election) -> Contest:
    """A contest over N-001 (in North) and S-001 (in South), but not N-002: it follows no district."""
    area = ElectoralDistrict.objects.create(election=open_vote, code="HD-1", name="House District 1")
    area.stations.add(*open_vote.stations.filter(code__in=["N-001", "S-001"]))
    contest = Contest.objects.create(election=open_vote, name="House 1", slug="house-1", electoral_district=area)
    Candidate.objects.create(contest=contest, name_en="Ann Lee", ballot_order=1)
    Candidate.objects.create(contest=contest, name_en="Bo Diaz", ballot_order=2)
    return contest


def test_a_contest_over_stations_of_two_districts_takes_entries_only_from_them(
    area_contest: Contest,
    station: PollingStation,
    other_station: PollingStation,
    south_station: PollingStation,
    official: User,
) -> None:
    submit_sheet(station=station, contest=area_contest, actor=official, key="key-in-north-0001", votes=[5, 3])
    submit_sheet(station=south_station, contest=area_contest, actor=official, key="key-in-south-0001", votes=[1, 2])
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(station=other_station, contest=area_contest, actor=official, key="key-outside-0001", votes=[1, 1])
    assert refused.value.code == "contest_not_at_station"


def test_a_contest_over_an_electoral_district_reports_fully_with_its_own_stations(
    area_contest: Contest, station: PollingStation, south_station: PollingStation, official: User
) -> None:
    submit_sheet(station=station, contest=area_contest, actor=official, key="key-a-0001", votes=[5, 3])
    submit_sheet(station=south_station, contest=area_contest, actor=official, key="key-b-0001", votes=[1, 2])
    snapshot = build_snapshot(election=area_contest.election, version=1)
    row = next(c for c in snapshot["contests"] if c["slug"] == "house-1")
    assert row["totals"]["stations_reporting"] == row["totals"]["stations_total"] == 2
    assert [c["votes"] for c in row["totals"]["candidates"]] == [6, 5]
    assert sorted(row["station_ids"]) == sorted([station.pk, south_station.pk])
    assert row["electoral_district_id"] == area_contest.electoral_district_id


def test_an_electoral_district_made_of_districts_covers_their_nested_stations(open_vote: Election) -> None:
    north = open_vote.districts.get(code="N")
    ward = open_vote.districts.create(code="N-W", name="North ward", parent=north)
    nested = open_vote.stations.create(district=ward, code="NW-1", name="Ward box", registered_voters=10)
    area = ElectoralDistrict.objects.create(election=open_vote, code="ED", name="North and one")
    area.districts.add(north)
    area.stations.add(open_vote.stations.get(code="S-001"))
    contest = Contest.objects.create(election=open_vote, name="Mixed", slug="mixed", electoral_district=area)
    covered = list_contest_station_ids(election_id=open_vote.pk)[contest.pk]
    expected = set(open_vote.stations.filter(code__in=["N-001", "N-002", "S-001"]).values_list("pk", flat=True))
    assert covered == expected | {nested.pk}


def test_a_contest_cannot_have_a_district_and_an_electoral_district(open_vote: Election) -> None:
    from django.db import IntegrityError, transaction

    area = ElectoralDistrict.objects.create(election=open_vote, code="ED", name="Area")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contest.objects.create(
            election=open_vote,
            name="Both",
            slug="both",
            district=open_vote.districts.get(code="N"),
            electoral_district=area,
        )


@pytest.fixture
def typed(open_vote: Election) -> Election:
    """The shared election, reporting votes by type: election day and mail."""
    VoteType.objects.create(election=open_vote, code="day", name="Election day", nist_type="election-day", position=1)
    VoteType.objects.create(election=open_vote, code="mail", name="By mail", nist_type="absentee-mail", position=2)
    return open_vote


def _by_type(candidates: list[Candidate], *splits: dict[str, int]) -> dict[int, dict[str, int]]:
    return {c.pk: split for c, split in zip(candidates, splits, strict=True)}


def test_a_sheet_gives_votes_per_type_and_the_totals_are_their_sums(
    typed: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], official: User
) -> None:
    recorded = submit_tally_sheet(
        station=station,
        contest=contest,
        ballots_cast=21,
        blank=1,
        invalid=0,
        votes=None,
        votes_by_type=_by_type(candidates, {"day": 10, "mail": 4}, {"day": 2, "mail": 4}),
        actor=official,
        idempotency_key="key-key-typed-1-0001-0001",
    )
    sheet = recorded.obj
    assert dict(sheet.votes.values_list("candidate_id", "votes")) == {candidates[0].pk: 14, candidates[1].pk: 6}
    assert TallySheetVoteByType.objects.filter(sheet=sheet).count() == 4
    assert recorded.body["votes_by_type"] == {
        str(candidates[0].pk): {"day": 10, "mail": 4},
        str(candidates[1].pk): {"day": 2, "mail": 4},
    }
    snapshot = build_snapshot(election=typed, version=1)
    assert [t["code"] for t in snapshot["vote_types"]] == ["day", "mail"]
    mayor = next(c for c in snapshot["contests"] if c["slug"] == "mayor")
    assert [c["by_type"] for c in mayor["totals"]["candidates"]] == [[10, 4], [2, 4]]
    assert [c["votes"] for c in mayor["totals"]["candidates"]] == [14, 6]
    assert mayor["stations"][0]["votes_by_type"] == [[10, 4], [2, 4]]


@pytest.mark.parametrize(
    ("splits", "code"),
    [
        (({"day": 10}, {"day": 2, "mail": 4}), "vote_types_mismatch"),
        (({"day": 10, "mail": 4, "early": 0}, {"day": 2, "mail": 4}), "vote_types_mismatch"),
        (({"day": 10, "mail": -1}, {"day": 2, "mail": 4}), "negative"),
    ],
)
def test_a_sheet_with_the_wrong_vote_types_is_refused_naming_them(
    typed: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    official: User,
    splits: tuple[dict[str, int], dict[str, int]],
    code: str,
) -> None:
    with pytest.raises(EntryRejected) as refused:
        submit_tally_sheet(
            station=station,
            contest=contest,
            ballots_cast=30,
            blank=0,
            invalid=0,
            votes=None,
            votes_by_type=_by_type(candidates, *splits),
            actor=official,
            idempotency_key="key-key-typed-bad-0001-0001",
        )
    assert refused.value.code == code
    assert not TallySheet.objects.exists()


def test_a_sheet_without_votes_by_type_is_refused_where_the_election_reports_them(
    typed: Election, station: PollingStation, contest: Contest, official: User
) -> None:
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(station=station, contest=contest, actor=official, key="key-plain-0001", votes=[3, 2])
    assert refused.value.code == "votes_by_type_missing"


def test_totals_that_differ_from_the_sums_by_type_are_refused(
    typed: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], official: User
) -> None:
    with pytest.raises(EntryRejected) as refused:
        submit_tally_sheet(
            station=station,
            contest=contest,
            ballots_cast=20,
            blank=0,
            invalid=0,
            votes={candidates[0].pk: 15, candidates[1].pk: 5},
            votes_by_type=_by_type(candidates, {"day": 10, "mail": 4}, {"day": 2, "mail": 4}),
            actor=official,
            idempotency_key="key-key-typed-sum-0001-0001",
        )
    assert refused.value.code == "votes_by_type_do_not_add_up"


def test_votes_by_type_are_refused_where_the_election_has_no_vote_types(
    station: PollingStation, contest: Contest, candidates: list[Candidate], official: User
) -> None:
    with pytest.raises(EntryRejected) as refused:
        submit_tally_sheet(
            station=station,
            contest=contest,
            ballots_cast=2,
            blank=0,
            invalid=0,
            votes={candidates[0].pk: 1, candidates[1].pk: 1},
            votes_by_type=_by_type(candidates, {"day": 1}, {"day": 1}),
            actor=official,
            idempotency_key="key-key-untyped-0001-0001",
        )
    assert refused.value.code == "vote_types_not_used"


def test_double_entries_that_split_the_same_totals_differently_go_to_review(
    typed: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    official: User,
    clerk: User,
) -> None:
    set_counting(typed, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    first = _by_type(candidates, {"day": 10, "mail": 4}, {"day": 2, "mail": 4})
    second = _by_type(candidates, {"day": 11, "mail": 3}, {"day": 2, "mail": 4})
    for actor, split, key in ((clerk, first, "key-first-0001"), (official, second, "key-second-0001")):
        submit_tally_sheet(
            station=station,
            contest=contest,
            ballots_cast=20,
            blank=0,
            invalid=0,
            votes=None,
            votes_by_type=split,
            actor=actor,
            idempotency_key=key,
        )
    assert set(TallySheet.objects.values_list("status", flat=True)) == {TallySheet.Status.NEEDS_REVIEW}


@pytest.fixture
def residual(open_vote: Election) -> Election:
    """The shared election, counting undervotes and overvotes instead of blank and invalid ballots."""
    _draft_again(open_vote, counts_blank_and_invalid=False, counts_undervotes_and_overvotes=True)
    return open_vote


def test_undervotes_and_overvotes_complete_a_sheet_where_they_are_counted(
    residual: Election, station: PollingStation, contest: Contest, official: User
) -> None:
    sheet = submit_sheet(
        station=station,
        contest=contest,
        actor=official,
        key="key-uo-0001",
        votes=[7, 3],
        cast=13,
        undervotes=2,
        overvotes=1,
    ).obj
    assert (sheet.undervotes, sheet.overvotes) == (2, 1)
    refresh_tallies(election_id=residual.pk)
    mayor = next(c for c in build_snapshot(election=residual, version=1)["contests"] if c["slug"] == "mayor")
    assert (mayor["totals"]["undervotes"], mayor["totals"]["overvotes"], mayor["totals"]["ballots_cast"]) == (2, 1, 13)


def test_a_sheet_that_does_not_add_up_with_undervotes_names_every_part(
    residual: Election, station: PollingStation, contest: Contest, official: User
) -> None:
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(
            station=station, contest=contest, actor=official, key="key-uo-bad-0001", votes=[7, 3], cast=14, undervotes=2
        )
    assert refused.value.code == "sheet_does_not_add_up"
    assert "undervotes (2)" in refused.value.message
    assert "overvotes (0)" in refused.value.message
    # The election counts undervotes and overvotes instead of blank and invalid: the message names only those.
    assert "blank" not in refused.value.message
    assert "invalid" not in refused.value.message


def test_blank_ballots_are_refused_where_the_election_counts_undervotes_instead(
    residual: Election, station: PollingStation, contest: Contest, official: User
) -> None:
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(station=station, contest=contest, actor=official, key="key-blank-0001", votes=[7, 3], blank=1)
    assert refused.value.code == "blank_invalid_not_counted"


def test_undervotes_are_refused_where_the_election_counts_blank_ballots(
    station: PollingStation, contest: Contest, official: User
) -> None:
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(
            station=station, contest=contest, actor=official, key="key-under-0001", votes=[7, 3], cast=11, undervotes=1
        )
    assert refused.value.code == "undervotes_overvotes_not_counted"


def test_unknown_registered_voters_allow_any_count_and_show_no_turnout(
    open_vote: Election, station: PollingStation, other_station: PollingStation, contest: Contest, official: User
) -> None:
    PollingStation.objects.filter(pk=station.pk).update(registered_voters=None)
    submit_sheet(station=station, contest=contest, actor=official, key="key-big-0001", votes=[900, 100])
    snapshot = build_snapshot(election=open_vote, version=1)
    mayor = next(c for c in snapshot["contests"] if c["slug"] == "mayor")
    assert mayor["totals"]["turnout"] is None
    assert mayor["totals"]["registered_voters"] == 0
    submit_sheet(station=other_station, contest=contest, actor=official, key="key-known-0001", votes=[100, 30])
    snapshot = build_snapshot(election=open_vote, version=2)
    mayor = next(c for c in snapshot["contests"] if c["slug"] == "mayor")
    # Only the station whose registered voters are known counts toward turnout: 130 of its 650.
    assert mayor["totals"]["registered_voters"] == 650
    assert mayor["totals"]["turnout"] == pytest.approx(130 / 650)
    assert next(s for s in snapshot["stations"] if s["id"] == station.pk)["registered_voters"] is None


def test_ballots_cast_above_known_registered_voters_are_still_refused(
    station: PollingStation, contest: Contest, official: User
) -> None:
    with pytest.raises(EntryRejected) as refused:
        submit_sheet(station=station, contest=contest, actor=official, key="key-over-0001", votes=[700, 200])
    assert refused.value.code == "ballots_cast_above_registered"


@pytest.fixture
def measure(open_vote: Election) -> Contest:
    contest = Contest.objects.create(
        election=open_vote, name="Measure A", slug="measure-a", kind=Contest.Kind.MEASURE, threshold=Decimal("0.6")
    )
    Candidate.objects.create(contest=contest, name_en="Yes", ballot_order=1)
    Candidate.objects.create(contest=contest, name_en="No", ballot_order=2)
    return contest


@pytest.mark.parametrize(("yes", "no", "passes"), [(60, 40, True), (59, 41, False), (0, 0, None)])
def test_a_measure_passes_at_its_threshold(
    measure: Contest, station: PollingStation, official: User, yes: int, no: int, passes: bool | None
) -> None:
    if yes or no:
        submit_sheet(station=station, contest=measure, actor=official, key="key-m-0001", votes=[yes, no])
    snapshot = build_snapshot(election=measure.election, version=1)
    row = next(c for c in snapshot["contests"] if c["slug"] == "measure-a")
    assert (row["kind"], row["threshold"], row["passes"]) == ("measure", 0.6, passes)


def test_a_measure_without_a_threshold_needs_more_than_half(
    measure: Contest, station: PollingStation, official: User
) -> None:
    Contest.objects.filter(pk=measure.pk).update(threshold=None)
    submit_sheet(station=station, contest=measure, actor=official, key="key-tie-0001", votes=[50, 50])
    row = next(c for c in build_snapshot(election=measure.election, version=1)["contests"] if c["slug"] == "measure-a")
    assert row["passes"] is False


def test_a_measure_with_one_choice_cannot_open(election: Election, official: User) -> None:
    contest = Contest.objects.create(election=election, name="Lonely", slug="lonely", kind=Contest.Kind.MEASURE)
    Candidate.objects.create(contest=contest, name_en="Yes", ballot_order=1)
    problems = election_services.list_opening_problems(election)
    assert any("needs at least two choices" in problem for problem in problems)


def test_a_write_in_line_and_a_name_in_one_language_reach_the_snapshot(
    open_vote: Election, station: PollingStation, contest: Contest, official: User
) -> None:
    write_in = Candidate.objects.create(contest=contest, name_en="Write-in", ballot_order=3, is_write_in=True)
    submit_sheet(station=station, contest=contest, actor=official, key="key-w-0001", votes=[3, 2, 1])
    mayor = next(c for c in build_snapshot(election=open_vote, version=1)["contests"] if c["slug"] == "mayor")
    flagged = {c["id"]: c["is_write_in"] for c in mayor["candidates"]}
    assert flagged[write_in.pk] is True
    assert sum(flagged.values()) == 1


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_name_in_one_language_is_shown_in_every_language(language: str) -> None:
    from django.utils import translation

    with translation.override(language):
        assert local_name_of({"name": "Write-in", "name_ar": ""}) == "Write-in"
        assert local_name_of({"name": "", "name_ar": "نعم"}) == "نعم"


def test_the_station_sets_of_entry_and_tallies_agree(
    area_contest: Contest, official: User, new_key: Callable[[], str]
) -> None:
    """Every station the rule gives a contest takes its sheet, and the tally then reports all of them."""
    election = area_contest.election
    for contest in election.contests.all():
        for station_id in list_contest_station_ids(election_id=election.pk)[contest.pk]:
            station = PollingStation.objects.get(pk=station_id)
            submit_sheet(station=station, contest=contest, actor=official, key=new_key(), votes=[1, 1])
    for row in build_snapshot(election=election, version=1)["contests"]:
        assert row["totals"]["stations_reporting"] == row["totals"]["stations_total"] == len(row["station_ids"])
