"""A real county results file entered as tally sheets: every contest's totals, splits by vote type and stations
reporting equal the file's own sums; entering it again changes nothing; it is one entry under double entry; a
corrected file corrects; and a bad file is refused with every problem named and nothing written."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ballots.models import TallySheet
from ballots.results_files import ResultsFileRejected, plan_results_file, results_file_reason
from ballots.selectors import list_station_results
from ballots.services import submit_tally_sheet
from ballots.tests.results_file_support import (
    MARTIN,
    OVER,
    TYPES,
    UNDER,
    build_martin,
    edited,
    enter,
    sums_of,
)
from elections.models import Candidate, ClerkAssignment, Contest, Election, PollingStation, VoteType
from elections.results_files import ResultsFileRefused, parse_results_file
from trust.audit import find_chain_breaks
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def martin(official: User) -> Election:
    return build_martin(official)


@pytest.fixture
def second_official(db: None) -> User:
    user = User.objects.create_user(username="second-official", password="correct-horse-battery", is_staff=True)
    user.groups.add(Group.objects.get(name="Officials"))
    return user


def _entered_sums(election: Election) -> dict[str, dict[str, object]]:
    """The entered results summed per contest: candidate votes, per vote type, residuals, stations reporting."""
    names = dict(Candidate.objects.filter(contest__election=election).values_list("pk", "name_en"))
    contests = dict(Contest.objects.filter(election=election).values_list("pk", "name"))
    types = dict(VoteType.objects.filter(election=election).values_list("pk", "code"))
    found: dict[str, dict[str, object]] = {}
    for result in list_station_results(election=election):
        sums = found.setdefault(
            contests[result.contest_id],
            {"votes": Counter(), "by_type": Counter(), "residuals": Counter(), "stations": 0},
        )
        sums["stations"] += 1  # type: ignore[operator]
        for candidate_id, votes in result.votes.items():
            sums["votes"][names[candidate_id]] += votes  # type: ignore[index]
        for candidate_id, per_type in result.by_type.items():
            for type_id, votes in per_type.items():
                sums["by_type"][(names[candidate_id], types[type_id])] += votes  # type: ignore[index]
        sums["residuals"][UNDER] += result.undervotes  # type: ignore[index]
        sums["residuals"][OVER] += result.overvotes  # type: ignore[index]
    return found


def test_every_contest_equals_the_sums_of_the_file(martin: Election, official: User) -> None:
    entered = enter(martin, MARTIN, official)
    expected = sums_of(MARTIN)
    got = _entered_sums(martin)
    assert entered.entered == sum(len(precincts) for precincts in expected.precincts.values())
    assert set(got) == set(expected.votes)
    for contest, sums in got.items():
        assert sums["votes"] == expected.votes[contest], contest
        assert sums["by_type"] == expected.by_type[contest], contest
        assert sums["stations"] == len(expected.precincts[contest]), contest
        assert +sums["residuals"] == +expected.residuals[contest], contest  # type: ignore[operator]
    assert set(TYPES) == set(VoteType.objects.filter(election=martin).values_list("code", flat=True))


def test_ballots_cast_of_one_choice_contests_are_the_precincts(martin: Election, official: User) -> None:
    """Worked out as votes + undervotes + overvotes, they equal the file's own "Ballots Cast" of each precinct."""
    enter(martin, MARTIN, official)
    cast = sums_of(MARTIN).ballots_cast
    names = dict(PollingStation.objects.filter(election=martin).values_list("pk", "name"))
    for result in list_station_results(election=martin):
        if names[result.station_id] in cast:
            assert result.ballots_cast == cast[names[result.station_id]]


def test_entering_the_file_again_changes_nothing_and_says_so(
    martin: Election, official: User, second_official: User
) -> None:
    first = enter(martin, MARTIN, official)
    sheets, events = TallySheet.objects.count(), AuditEvent.objects.count()
    for uploader in (official, second_official):
        plan = plan_results_file(election=martin, results=parse_results_file(MARTIN), actor=uploader)
        assert plan.counts["already_entered"] == first.entered
        assert not plan.writes
        assert not plan.problems
        assert enter(martin, MARTIN, uploader).entered == 0
    assert (TallySheet.objects.count(), AuditEvent.objects.count()) == (sheets, events)


def test_the_file_and_its_uploader_are_traced(martin: Election, official: User) -> None:
    entered = enter(martin, MARTIN, official)
    sha256 = hashlib.sha256(MARTIN).hexdigest()
    sheets = TallySheet.objects.filter(station__election=martin)
    assert {sheet.reason for sheet in sheets} == {results_file_reason(sha256)}
    assert {sheet.entered_by for sheet in sheets} == {official}
    assert set(sheets.values_list("status", flat=True)) == {TallySheet.Status.ACCEPTED}
    event = AuditEvent.objects.get(action="results_file.enter")
    after = event.after or {}
    assert (event.actor_name, after["sha256"], after["file_name"]) == ("official", sha256, "martin.csv")
    assert after["sheets_entered"] == entered.entered
    assert AuditEvent.objects.filter(action="tally_sheet.submit", actor_name="official").count() == entered.entered
    assert find_chain_breaks() is None


def test_under_double_entry_a_file_is_one_entry(official: User, second_official: User) -> None:
    election = build_martin(official, double_entry=True)
    first = enter(election, MARTIN, official)
    assert set(TallySheet.objects.values_list("status", flat=True)) == {TallySheet.Status.PENDING_SECOND_ENTRY}
    assert list_station_results(election=election) == []
    other_file = MARTIN + b"\n"
    # The first official's second file is no second entry, and the same file is none either, whoever uploads it.
    problems = plan_results_file(election=election, results=parse_results_file(other_file), actor=official).problems
    assert len(problems) == first.entered
    assert "the second must come from someone else" in problems[0]
    assert enter(election, MARTIN, second_official).entered == 0
    second = enter(election, other_file, second_official)
    assert second.plan.counts["second_entry"] == second.entered == first.entered
    statuses = Counter(TallySheet.objects.values_list("status", flat=True))
    assert statuses == {TallySheet.Status.ACCEPTED: first.entered, TallySheet.Status.SUPERSEDED: first.entered}
    assert len(list_station_results(election=election)) == first.entered


def test_under_double_entry_a_clerk_makes_the_second_entry_of_a_file(official: User) -> None:
    election = build_martin(official, double_entry=True)
    first = enter(election, MARTIN, official)
    planned = next(s for s in first.plan.sheets if (s.station.code, s.contest.name) == ("Martin-1", "President"))
    clerk = User.objects.create_user(username="martin-clerk", password="correct-horse-battery")
    clerk.groups.add(Group.objects.get(name="Clerks"))
    ClerkAssignment.objects.create(user=clerk, station=planned.station)
    numbers = planned.numbers
    second = submit_tally_sheet(
        station=planned.station,
        contest=planned.contest,
        ballots_cast=numbers.ballots_cast,
        blank=numbers.blank,
        invalid=numbers.invalid,
        votes=numbers.votes,
        votes_by_type=numbers.votes_by_type,
        undervotes=numbers.undervotes,
        overvotes=numbers.overvotes,
        actor=clerk,
        idempotency_key="clerk-second-entry-1",
    )
    assert second.obj.status == TallySheet.Status.ACCEPTED
    assert [(r.station_id, r.contest_id) for r in list_station_results(election=election)] == [
        (planned.station.pk, planned.contest.pk)
    ]


def test_a_corrected_file_corrects_only_what_changed(martin: Election, official: User) -> None:
    entered = enter(martin, MARTIN, official)
    corrected = edited(
        MARTIN,
        "Martin,1,U.S. House,11,DEM,Jon Mark Hogg,90,58,27,5",
        "Martin,1,U.S. House,11,DEM,Jon Mark Hogg,89,58,26,5",
    )
    corrected = edited(
        corrected,
        "Martin,1,U.S. House,11,REP,Under Votes,18,15,3,0",
        "Martin,1,U.S. House,11,REP,Under Votes,19,15,4,0",
    )
    again = enter(martin, corrected, official)
    assert again.plan.counts["correction"] == again.entered == 1
    assert again.plan.counts["unchanged"] == entered.entered - 1
    current = TallySheet.objects.get(
        station__code="Martin-1", contest__name="U.S. House, District 11", status="accepted"
    )
    assert current.version == 2
    assert current.undervotes == 19
    assert current.reason == results_file_reason(hashlib.sha256(corrected).hexdigest())


def test_an_election_counting_blank_and_invalid_takes_undervotes_and_overvotes_as_them(official: User) -> None:
    election = build_martin(official)
    Election.objects.filter(pk=election.pk).update(status="draft")
    Election.objects.filter(pk=election.pk).update(counts_undervotes_and_overvotes=False, counts_blank_and_invalid=True)
    Election.objects.filter(pk=election.pk).update(status="open")
    election.refresh_from_db()
    enter(election, MARTIN, official)
    sheet = TallySheet.objects.get(station__code="Martin-1", contest__name="U.S. Senate")
    assert (sheet.blank, sheet.invalid, sheet.undervotes, sheet.overvotes, sheet.ballots_cast) == (17, 0, 0, 0, 589)


def test_a_contest_of_several_choices_takes_the_precincts_ballots_cast(official: User) -> None:
    election = build_martin(official)
    Contest.objects.filter(election=election, name="President").update(max_choices=2, seats=2)
    enter(election, MARTIN, official)
    sheet = TallySheet.objects.get(station__code="Martin-2", contest__name="President")
    assert sheet.ballots_cast == sums_of(MARTIN).ballots_cast["2"]
    without_turnout = b"\n".join(line for line in MARTIN.split(b"\n") if b",Ballots Cast," not in line)
    rejected = plan_results_file(election=election, results=parse_results_file(without_turnout), actor=official)
    assert (
        "lets voters choose more than one, and the file gives no ballots cast for it or for the precinct"
        in rejected.problems[0]
    )


BAD_FILES = [
    pytest.param(
        edited(MARTIN, "Martin,4A,", "Martin,4B,"),
        "Line 382: Precinct “4B” of Martin is not a polling station of this election.",
        id="unknown precinct",
    ),
    pytest.param(
        edited(MARTIN, "Jon Mark Hogg", "John M. Hogg"),
        "Line 20: “John M. Hogg” does not stand in contest “U.S. House, District 11”.",
        id="unknown candidate",
    ),
    pytest.param(
        edited(MARTIN, "Jon Mark Hogg,90,58,27,5", "Jon Mark Hogg,-90,58,27,5"),
        "Line 23, votes: This count cannot be negative (-90).",
        id="negative votes",
    ),
    pytest.param(
        edited(MARTIN, "Jon Mark Hogg,90,58,27,5", "Jon Mark Hogg,ninety,58,27,5"),
        "Line 23, votes: “ninety” is not a whole number.",
        id="non-numeric votes",
    ),
    pytest.param(
        edited(MARTIN, "party,candidate,votes,", "party,candidate,total,"),
        "Line 1: The header has no column votes;",
        id="missing column",
    ),
    pytest.param(
        edited(
            MARTIN,
            "Martin,1,President,,REP,Donald J. Trump Michael R. Pence,489,377,97,15\n",
            "Martin,1,President,,REP,Donald J. Trump Michael R. Pence,489,377,97,15\n" * 2,
        ),
        "Line 5, candidate: This row repeats one already given (line 4)",
        id="duplicate row",
    ),
    pytest.param(
        edited(MARTIN, "Jon Mark Hogg,90,58,27,5", "Jon Mark Hogg,190,58,127,5"),
        "Line 20: At Martin-1, the votes, undervotes and overvotes of “U.S. House, District 11” (689) are more than "
        "the precinct's ballots cast (589).",
        id="contest that does not add up",
    ),
]


@pytest.mark.parametrize(("data", "problem"), BAD_FILES)
def test_a_bad_file_is_refused_with_its_problem_named_and_nothing_written(
    martin: Election, official: User, data: bytes, problem: str
) -> None:
    events = AuditEvent.objects.count()
    try:
        enter(martin, data, official)
    except ResultsFileRefused as refused:
        problems = [str(p) for p in refused.problems]
    except ResultsFileRejected as rejected:
        problems = rejected.details["problems"]
    else:
        pytest.fail("the file was entered")
    assert any(p.startswith(problem) for p in problems), problems
    assert TallySheet.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_a_sheet_the_rules_refuse_at_entry_rolls_back_the_whole_file(official: User) -> None:
    """The preview checks what a file can be checked for; the entry's own rules have the last word. Here a contest of
    two choices has more votes and undervotes than its ballots allow, which only the entry checks: it refuses that
    sheet, naming it, and no sheet of the file stays."""
    election = build_martin(official)
    Contest.objects.filter(election=election, name="President").update(max_choices=2, seats=2)
    data = edited(
        MARTIN, "Martin,4A,President,,REP,Under Votes,0,0,0,0", "Martin,4A,President,,REP,Under Votes,200,0,200,0"
    )
    assert not plan_results_file(election=election, results=parse_results_file(data), actor=official).problems
    with pytest.raises(ResultsFileRejected, match="Line 384, Martin-4A, “President”: There are more votes than"):
        enter(election, data, official)
    assert TallySheet.objects.count() == 0
    assert not AuditEvent.objects.filter(action__in=["tally_sheet.submit", "results_file.enter"]).exists()


def test_planning_reads_the_election_in_constant_queries(martin: Election, official: User) -> None:
    rows = MARTIN.decode().splitlines(keepends=True)
    two_precincts = "".join(r for r in rows if r.startswith(("county,", "Martin,1,", "Martin,2,"))).encode()
    counted = []
    for data in (two_precincts, MARTIN):
        results = parse_results_file(data)
        with CaptureQueriesContext(connection) as queries:
            plan_results_file(election=martin, results=results, actor=official)
        counted.append(len(queries.captured_queries))
    assert counted[0] == counted[1]
    by_contest: dict[int, int] = defaultdict(int)
    for sheet in plan_results_file(election=martin, results=parse_results_file(MARTIN), actor=official).sheets:
        by_contest[sheet.contest.pk] += 1
    assert sum(by_contest.values()) == len(parse_results_file(MARTIN).sheets)
