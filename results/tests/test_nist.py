"""The NIST SP 1500-100 export validates against NIST's own V2 JSON schema, on the demo election and on one with every
shape the format has room for, and its counts are the API's."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from django.contrib.auth.models import User
from django.test import Client

from ballots.services import submit_tally_sheet
from elections.demo import seed_demo
from elections.models import Candidate, Contest, Election, ElectoralDistrict, PollingStation, VoteType
from elections.selectors import list_contest_station_ids
from elections.services import open_election, publish_results
from results.management.commands.simulate import plan_sheet
from results.nist import read_audit_head
from results.services import refresh_tallies
from results.tests.support import enter_sheet
from results.tests.test_snapshot_type import populated  # noqa: F401 - fixture: every kind of entry
from trust.checkpoints import read_chain_head

pytestmark = pytest.mark.django_db

BASE = "/api/v1/results/elections"
SCHEMA = json.loads((Path(__file__).parent / "data" / "nist" / "NIST_V2_election_results_reporting.json").read_text())
# Formats checked too (the schema's dates and date-times), as draft 4 allows.
VALIDATOR = jsonschema_rs.Draft4Validator(SCHEMA, validate_formats=True)


def _errors(report: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, error.instance_path))}: {error.message}" for error in VALIDATOR.iter_errors(report)]


def _served(client: Client, slug: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The NIST export and the snapshot, as the API serves them."""
    report = client.get(f"{BASE}/{slug}/nist.json")
    snapshot = client.get(f"{BASE}/{slug}")
    assert report.status_code == snapshot.status_code == 200
    assert report["ETag"] == snapshot["ETag"]
    return report.json(), snapshot.json()


def _export_counts(report: dict[str, Any]) -> dict[tuple[str, str, str, str], int]:
    """Every count of the export by (contest, selection, reporting unit, count type)."""
    counts: dict[tuple[str, str, str, str], int] = {}
    for contest in report["Election"][0]["Contest"]:
        for selection in contest["ContestSelection"]:
            for count in selection["VoteCounts"]:
                kind = count.get("OtherType", count["Type"])
                key = (contest["@id"], selection["@id"], count["GpUnitId"], kind)
                assert key not in counts, f"{key} is counted twice"
                counts[key] = count["Count"]
    return counts


def _api_counts(snapshot: dict[str, Any]) -> dict[tuple[str, str, str, str], int]:
    """The same counts read from the API's snapshot: the election's totals and each counted station's votes."""
    election_unit = f"gpu-election-{snapshot['election']['id']}"
    types = [t["code"] if t["nist_type"] == "other" else t["nist_type"] for t in snapshot["vote_types"]]
    counts: dict[tuple[str, str, str, str], int] = {}
    for contest in snapshot["contests"]:
        for index, candidate in enumerate(contest["candidates"]):
            key = (f"contest-{contest['id']}", f"sel-{candidate['id']}")
            total = contest["totals"]["candidates"][index]
            counts[(*key, election_unit, "total")] = total["votes"]
            counts.update({(*key, election_unit, kind): n for kind, n in zip(types, total["by_type"], strict=True)})
            for row in contest["stations"]:
                if row["quarantined"]:
                    continue
                unit = f"gpu-station-{row['station_id']}"
                counts[(*key, unit, "total")] = row["votes"][index]
                if row["votes_by_type"]:
                    split = row["votes_by_type"][index]
                    counts.update({(*key, unit, kind): n for kind, n in zip(types, split, strict=True)})
    return counts


def _check_export(client: Client, slug: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate the served export with zero errors and compare every count with the API's; returns both."""
    report, snapshot = _served(client, slug)
    assert _errors(report) == []
    assert _export_counts(report) == _api_counts(snapshot)
    election_unit = f"gpu-election-{snapshot['election']['id']}"
    other = {c["@id"]: c["OtherCounts"] for c in report["Election"][0]["Contest"]}
    for contest in snapshot["contests"]:
        first = other[f"contest-{contest['id']}"][0]
        assert first["GpUnitId"] == election_unit
        under = "undervotes" if snapshot["election"]["counts_undervotes_and_overvotes"] else "blank"
        assert first["Undervotes"] == contest["totals"][under]
    assert read_audit_head(report) == snapshot["audit_head"]
    return report, snapshot


def _demo_with_results(official: User) -> Election:
    """The demo election, open, published, and every contest counted at a sixth of its stations."""
    seeded = seed_demo().election
    assert seeded is not None
    election = publish_results(election=open_election(election=seeded, actor=official), actor=official)
    rng = random.Random(1500)
    scopes = list_contest_station_ids(election_id=election.pk)
    stations = {s.pk: s for s in PollingStation.objects.filter(election=election).select_related("election")}
    for contest in Contest.objects.filter(election=election).prefetch_related("candidates"):
        weights = {c.pk: rng.uniform(0.5, 3.0) for c in contest.candidates.all()}
        for station_id in sorted(scopes[contest.pk])[::6]:
            numbers = plan_sheet(rng, stations[station_id], contest, weights)
            submit_tally_sheet(
                station=stations[station_id],
                contest=contest,
                actor=official,
                idempotency_key=f"nist-{station_id}-{contest.pk}",
                **numbers,
            )
    return election


def test_demo_election_exports_valid_nist_v2_with_the_apis_counts(official: User, client: Client) -> None:
    election = _demo_with_results(official)
    # One recount of everything entered, as the end of a burst of entries makes.
    refresh_tallies(election_id=election.pk)
    report, snapshot = _check_export(client, election.slug)
    reported = [row for contest in snapshot["contests"] for row in contest["stations"]]
    assert len(reported) > 10
    # What the known errors of earlier exports broke stays right: names in both languages, whole-second times.
    party = report["Party"][0]
    assert {text["Language"] for text in party["Name"]["Text"]} == {"en", "ar"}
    assert party["Abbreviation"]["Text"][0]["Content"] == snapshot["parties"][0]["abbreviation"]
    assert "." not in report["GeneratedDate"]
    station_units = [unit for unit in report["GpUnit"] if unit["Type"] == "polling-place"]
    assert len(station_units) == len(snapshot["stations"])
    assert all(unit["VotersRegistered"] > 0 for unit in station_units)


def test_election_with_every_kind_of_entry_exports_valid_nist_v2(populated: Election, client: Client) -> None:  # noqa: F811
    report, snapshot = _check_export(client, populated.slug)
    quarantined = {(c["id"], s) for c in snapshot["contests"] for s in c["quarantined"]}
    assert quarantined
    units = {count[2] for count in _export_counts(report)}
    assert all(f"gpu-station-{station_id}" not in units for _contest, station_id in quarantined)


@pytest.fixture
def shaped(
    election: Election, official: User, new_key: Callable[[], str], django_capture_on_commit_callbacks: Any
) -> Election:
    """The test election with votes by type, undervotes and overvotes, a write-in, a ballot measure voted in an
    electoral district, and a station whose registered voters are unknown; results published."""
    Election.objects.filter(pk=election.pk).update(counts_blank_and_invalid=False, counts_undervotes_and_overvotes=True)
    election.refresh_from_db()
    day = VoteType.objects.create(election=election, code="day", name="Election day", nist_type="election-day")
    VoteType.objects.create(election=election, code="mobile", name="Mobile box", nist_type="other", position=1)
    mayor = Contest.objects.get(election=election, slug="mayor")
    Candidate.objects.create(
        contest=mayor, name_en="Write-ins", name_ar="أسماء مكتوبة", ballot_order=3, is_write_in=True
    )
    area = ElectoralDistrict.objects.create(election=election, code="WB", name="Water Board", name_ar="مجلس المياه")
    stations = {s.code: s for s in PollingStation.objects.filter(election=election)}
    area.stations.set([stations["N-002"], stations["S-001"]])
    measure = Contest.objects.create(election=election, slug="bond", name="Water bond", kind="measure",
                                     electoral_district=area, position=2)  # fmt: skip
    Candidate.objects.create(contest=measure, name_en="Yes", name_ar="نعم", ballot_order=1)
    Candidate.objects.create(contest=measure, name_en="No", name_ar="لا", ballot_order=2)
    PollingStation.objects.filter(pk=stations["S-001"].pk).update(registered_voters=None)
    election = open_election(election=Election.objects.get(pk=election.pk), actor=official)
    mayor_ids = list(mayor.candidates.order_by("ballot_order").values_list("pk", flat=True))
    bond_ids = list(measure.candidates.order_by("ballot_order").values_list("pk", flat=True))
    split = defaultdict(dict, {mayor_ids[0]: {"day": 300, "mobile": 12}, mayor_ids[1]: {"day": 250, "mobile": 30}})
    split[mayor_ids[2]] = {"day": 4, "mobile": 0}
    with django_capture_on_commit_callbacks(execute=True):
        submit_tally_sheet(station=stations["N-001"], contest=mayor, ballots_cast=600, blank=0, invalid=0,
                           undervotes=3, overvotes=1, votes=None, votes_by_type=split, actor=official,
                           idempotency_key=new_key())  # fmt: skip
        enter_sheet(station=stations["S-001"], contest=mayor, actor=official, votes=[40, 50, 1], key=new_key(),
                    votes_by_type={mayor_ids[0]: {"day": 40, "mobile": 0}, mayor_ids[1]: {"day": 45, "mobile": 5},
                                   mayor_ids[2]: {"day": 1, "mobile": 0}})  # fmt: skip
        enter_sheet(station=stations["N-002"], contest=measure, actor=official, votes=[120, 80], key=new_key(),
                    votes_by_type={bond_ids[0]: {"day": 100, "mobile": 20}, bond_ids[1]: {"day": 80, "mobile": 0}},
                    undervotes=5, cast=205)  # fmt: skip
        election = publish_results(election=Election.objects.get(pk=election.pk), actor=official)
    assert day.pk
    return election


def test_election_with_vote_types_a_measure_and_a_write_in_exports_valid_nist_v2(
    shaped: Election, client: Client
) -> None:
    report, snapshot = _check_export(client, shaped.slug)
    contests = {c["@type"].removeprefix("ElectionResults."): c for c in report["Election"][0]["Contest"]}
    assert set(contests) == {"CandidateContest", "BallotMeasureContest"}
    measure = contests["BallotMeasureContest"]
    assert measure["ElectionDistrictId"].startswith("gpu-area-")
    assert [s["Selection"]["Text"][0]["Content"] for s in measure["ContestSelection"]] == ["Yes", "No"]
    assert [s.get("IsWriteIn", False) for s in contests["CandidateContest"]["ContestSelection"]] == [
        False,
        False,
        True,
    ]
    assert contests["CandidateContest"]["OtherCounts"][0]["Overvotes"] == 1
    unknown = next(s for s in snapshot["stations"] if s["registered_voters"] is None)
    unit = next(u for u in report["GpUnit"] if u["@id"] == f"gpu-station-{unknown['id']}")
    assert "VotersRegistered" not in unit


def test_export_carries_the_audit_head_of_its_count(populated: Election, client: Client) -> None:  # noqa: F811
    report, snapshot = _served(client, populated.slug)
    head = read_chain_head()
    assert read_audit_head(report) == snapshot["audit_head"]
    assert snapshot["audit_head"] == {"event_id": head.event_id, "hash": head.hash, "count": head.count}
    identifiers = {item["OtherType"]: item["Value"] for item in report["ExternalIdentifier"]}
    assert identifiers["votetracker-audit-head-hash"] == head.hash


def test_the_known_errors_of_earlier_exports_are_refused_by_the_schema(populated: Election, client: Client) -> None:  # noqa: F811
    """The validator is no rubber stamp: each mistake the export once made fails it."""
    report, _snapshot = _served(client, populated.slug)
    mistakes: list[Callable[[dict[str, Any]], object]] = [
        lambda r: r["Election"][0]["Contest"][0]["ContestSelection"][0]["VoteCounts"][0].update(CountItemType="total"),
        lambda r: r["GpUnit"][0].update(Name="Plain text"),
        lambda r: r["Party"][0].update(Abbreviation="GL"),
        lambda r: r["GpUnit"][-1].update(NumberVotersRegistered=10),
        lambda r: r["Election"][0].update({"@id": "election-1"}),
        lambda r: r.update(GeneratedDate="2026-11-03T20:00:00.123456+00:00"),
    ]
    for mistake in mistakes:
        broken = json.loads(json.dumps(report))
        mistake(broken)
        assert _errors(broken), mistake
