"""A draft election gets its structure from a real OpenElections county file: counties, precincts, parties, vote
types, contests voted exactly where the file reports them, candidates and write-in lines, measures; each object
through the configuration services, audited, and the whole traced to the file's SHA-256."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections import defaultdict
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from elections.models import Candidate, Contest, District, Election, ElectoralDistrict, Party, PollingStation, VoteType
from elections.results_files import parse_results_file
from elections.results_files.labels import contest_name
from elections.results_files.structure import plan_structure
from elections.selectors import list_contest_station_ids
from elections.services import ConfigurationRefused, open_election
from elections.services.structure import create_structure_from_results_file
from trust.audit import find_chain_breaks
from trust.errors import NotAllowed
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db

MARTIN_FILE = (
    Path(__file__).parents[2]
    / "ballots"
    / "tests"
    / "data"
    / "openelections"
    / "20201103__tx__general__martin__precinct.csv"
)
TURNOUT = {"Registered Voters", "Ballots Cast"}
RESIDUAL = {"Over Votes", "Under Votes"}


@pytest.fixture
def draft(db: None) -> Election:
    return Election.objects.create(name="Martin County 2020", slug="martin-2020", date=dt.date(2020, 11, 3))


def _rows() -> list[dict[str, str]]:
    with MARTIN_FILE.open(newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def _build(election: Election, official: User) -> None:
    create_structure_from_results_file(
        election=election, results=parse_results_file(MARTIN_FILE.read_bytes()), actor=official, file_name="martin.csv"
    )


def test_structure_holds_exactly_what_the_file_names(draft: Election, official: User) -> None:
    _build(draft, official)
    rows = _rows()
    contest_rows = [r for r in rows if r["office"] not in TURNOUT]
    assert list(District.objects.filter(election=draft).values_list("code", "name")) == [("Martin", "Martin")]
    registered = {r["precinct"]: int(r["votes"]) for r in rows if r["office"] == "Registered Voters"}
    stations = {s.name: s for s in PollingStation.objects.filter(election=draft)}
    assert set(stations) == {r["precinct"] for r in rows}
    assert {name: s.registered_voters for name, s in stations.items()} == {
        name: registered.get(name) for name in stations
    }
    assert stations["3A"].code == "Martin-3A"
    parties = {r["party"] for r in contest_rows if r["party"] and r["candidate"] not in RESIDUAL}
    assert set(Party.objects.filter(election=draft).values_list("abbreviation", flat=True)) == parties
    assert list(VoteType.objects.filter(election=draft).values_list("code", "nist_type")) == [
        ("early_voting", "early"),
        ("election_day", "election-day"),
        ("absentee", "absentee"),
    ]
    names: dict[str, list[str]] = defaultdict(list)
    voting_at: dict[str, set[str]] = defaultdict(set)
    for r in contest_rows:
        name = contest_name(r["office"], r["district"])
        voting_at[name].add(stations[r["precinct"]].code)
        if r["candidate"] not in RESIDUAL and r["candidate"] not in names[name]:
            names[name].append(r["candidate"])
    contests = {c.name: c for c in Contest.objects.filter(election=draft)}
    assert set(contests) == set(names)
    covered = list_contest_station_ids(election_id=draft.pk)
    codes = dict(PollingStation.objects.filter(election=draft).values_list("pk", "code"))
    for name, contest in contests.items():
        # Each contest is voted at exactly the precincts that report it.
        assert {codes[pk] for pk in covered[contest.pk]} == voting_at[name], name
        candidates = list(Candidate.objects.filter(contest=contest).order_by("ballot_order"))
        on_ballot = [c.name_en for c in candidates if not c.is_write_in]
        assert sorted(on_ballot) == sorted(n for n in names[name] if "write-in" not in n.lower())
        assert [c.name_en for c in candidates if c.is_write_in] == [n for n in names[name] if "write-in" in n.lower()]
    measure = contests["Klondike Independent School District Proposition A"]
    assert measure.kind == Contest.Kind.MEASURE
    assert list(measure.candidates.values_list("name_en", flat=True)) == ["FOR", "AGAINST"]
    # Not one contest is voted at all eight precincts (two of them vote only on a measure), so each has its area.
    assert ElectoralDistrict.objects.filter(election=draft).count() == len(contests)
    draft.refresh_from_db()
    assert draft.counts_undervotes_and_overvotes
    assert not draft.counts_blank_and_invalid


def test_every_object_is_audited_and_the_file_named(draft: Election, official: User) -> None:
    _build(draft, official)
    events = AuditEvent.objects.filter(election_id=draft.pk)
    summary = events.get(action="election.structure_from_results_file").after or {}
    assert summary["sha256"] == hashlib.sha256(MARTIN_FILE.read_bytes()).hexdigest()
    assert summary["file_name"] == "martin.csv"
    assert events.get(action="election.structure_from_results_file").actor_name == "official"
    # Per audited kind: how many the election has now, and the summary's count of them.
    created = {
        "district": (District.objects.filter(election=draft).count(), "districts"),
        "pollingstation": (PollingStation.objects.filter(election=draft).count(), "stations"),
        "party": (Party.objects.filter(election=draft).count(), "parties"),
        "votetype": (VoteType.objects.filter(election=draft).count(), "vote_types"),
        "contest": (Contest.objects.filter(election=draft).count(), "contests"),
        "electoraldistrict": (ElectoralDistrict.objects.filter(election=draft).count(), "electoral_districts"),
        "candidate": (Candidate.objects.filter(contest__election=draft).count(), "candidates"),
    }
    for label, (count, summary_key) in created.items():
        assert events.filter(action=f"{label}.create").count() == count, label
        assert summary[summary_key] == count, label
    assert find_chain_breaks() is None


def test_structure_is_ready_to_open_and_building_it_again_creates_nothing(draft: Election, official: User) -> None:
    _build(draft, official)
    before = AuditEvent.objects.count()
    draft.refresh_from_db()
    again = plan_structure(election=draft, results=parse_results_file(MARTIN_FILE.read_bytes()))
    assert again.is_empty
    _build(draft, official)
    assert AuditEvent.objects.count() == before
    open_election(election=draft, actor=official)


def test_only_unknown_registered_voters_are_filled(draft: Election, official: User) -> None:
    martin = District.objects.create(election=draft, code="Martin", name="Martin")
    PollingStation.objects.create(election=draft, district=martin, code="Martin-1", name="1", registered_voters=1000)
    PollingStation.objects.create(election=draft, district=martin, code="Martin-2", name="2")
    _build(draft, official)
    registered = dict(PollingStation.objects.filter(election=draft).values_list("code", "registered_voters"))
    assert registered["Martin-1"] == 1000
    assert registered["Martin-2"] == 816
    assert registered["Martin-3"] == 659
    assert District.objects.filter(election=draft).count() == 1


def test_only_an_official_builds_a_draft_election(draft: Election, official: User, clerk: User) -> None:
    results = parse_results_file(MARTIN_FILE.read_bytes())
    with pytest.raises(NotAllowed):
        create_structure_from_results_file(election=draft, results=results, actor=clerk)
    _build(draft, official)
    open_election(election=draft, actor=official)
    with pytest.raises(ConfigurationRefused, match="only while the election is a draft"):
        create_structure_from_results_file(election=draft, results=results, actor=official)
