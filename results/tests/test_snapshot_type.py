"""The declared snapshot type (``results.snapshot``) is what ``build_snapshot`` makes, field for field and type for
type, on an election with every kind of entry: tally sheets (corrected, quarantined), ballots counted to completion,
turnout, nested districts and several contests; and the API's answers are what its OpenAPI document declares."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pydantic import TypeAdapter, ValidationError

from ballots.models import TallySheet
from ballots.services import mark_count_complete, quarantine_sheet, record_ballot, report_turnout
from elections.models import Candidate, Contest, District, Election, Party, PollingStation
from elections.services import open_election, publish_results
from results.api import ContestResults, LatestVersion, StationResults
from results.nist import NistElectionReport
from results.selectors import get_public_snapshot, snapshot_json
from results.snapshot import Snapshot
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db

SNAPSHOT = TypeAdapter(Snapshot)
BASE = "/api/v1/results/elections"


@pytest.fixture
def populated(
    election: Election, official: User, new_key: Callable[[], str], django_capture_on_commit_callbacks
) -> Election:
    """The test election counted both ways, with a district inside North, a council contest over North, and entries
    of every kind; results published."""
    Election.objects.filter(pk=election.pk).update(counting_method=Election.CountingMethod.BOTH)
    north = District.objects.get(election=election, code="N")
    centre = District.objects.create(election=election, code="NC", name="North Centre", name_ar="وسط الشمال",
                                     parent=north)  # fmt: skip
    PollingStation.objects.create(election=election, district=centre, code="NC-001", name="Centre Club",
                                  registered_voters=500, latitude=31.95, longitude=35.93)  # fmt: skip
    PollingStation.objects.filter(election=election, code="N-001").update(latitude=31.9, longitude=35.9)
    blue = Party.objects.create(election=election, name="Blue Alliance", abbreviation="BA", colour="#1F77B4")
    council = Contest.objects.create(election=election, name="North Council", slug="north-council", district=north,
                                     seats=2, max_choices=2, position=1)  # fmt: skip
    for order, (name, party) in enumerate([("Lina Saleh", blue), ("Sami Khalil", None), ("Rana Aziz", None)], 1):
        Candidate.objects.create(contest=council, name_en=name, name_ar=name, party=party, ballot_order=order)
    election = open_election(election=Election.objects.get(pk=election.pk), actor=official)

    stations = {s.code: s for s in PollingStation.objects.filter(election=election)}
    mayor = Contest.objects.get(election=election, slug="mayor")
    council_ids = list(council.candidates.order_by("ballot_order").values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=stations["N-001"], contest=mayor, actor=official, votes=[412, 388], key=new_key())
        enter_sheet(station=stations["S-001"], contest=mayor, actor=official, votes=[5, 9], key=new_key())
        enter_sheet(station=stations["S-001"], contest=mayor, actor=official, votes=[6, 9], blank=2, invalid=1,
                    key=new_key(), reason="Miscounted")  # fmt: skip
        sheet = TallySheet.objects.get(station=stations["S-001"], contest=mayor, status="accepted")
        quarantine_sheet(sheet=sheet, reason="Seal broken on the box", actor=official, idempotency_key=new_key())
        enter_sheet(station=stations["N-001"], contest=council, actor=official, votes=[30, 20, 20], key=new_key())
        for kind, marks in [("marked", council_ids[:2]), ("marked", council_ids[1:2]), ("blank", []),
                            ("invalid", [])]:  # fmt: skip
            record_ballot(station=stations["NC-001"], contest=council, kind=kind, marks=marks, actor=official,
                          idempotency_key=new_key())  # fmt: skip
        mark_count_complete(station=stations["NC-001"], contest=council, actor=official, idempotency_key=new_key())
        report_turnout(station=stations["N-001"], voters=640, actor=official, idempotency_key=new_key())
        report_turnout(station=stations["S-001"], voters=20, actor=official, idempotency_key=new_key())
        election = publish_results(election=Election.objects.get(pk=election.pk), actor=official)
    return election


def _snapshot(election: Election) -> Snapshot:
    snapshot = get_public_snapshot(slug=election.slug)
    assert snapshot is not None
    return snapshot


def test_a_snapshot_of_an_election_with_every_kind_of_entry_is_exactly_the_declared_type(populated: Election) -> None:
    snapshot = _snapshot(populated)
    # Every shape the type describes is in it, so that nothing validates only because a list is empty.
    contests = {c["slug"]: c for c in snapshot["contests"]}
    rows = [row for contest in snapshot["contests"] for row in contest["stations"]]
    assert {row["source"] for row in rows} == {"tally_sheet", "ballots"}
    assert any(row["quarantined"] and row["quarantine_reason"] for row in rows)
    assert contests["north-council"]["district_id"] is not None
    codes = {d["id"]: d["code"] for d in snapshot["districts"]}
    assert {codes[d["district_id"]] for d in contests["north-council"]["districts"]} == {"N", "NC"}
    assert any(d["parent_id"] is not None for d in snapshot["districts"])
    assert any(c["party_id"] is None for c in contests["north-council"]["candidates"])
    assert {s["turnout_at"] is None for s in snapshot["stations"]} == {True, False}
    assert {s["latitude"] is None for s in snapshot["stations"]} == {True, False}
    assert "counted_at" in snapshot

    SNAPSHOT.validate_python(snapshot, strict=True)
    SNAPSHOT.validate_json(snapshot_json(snapshot), strict=True)


@pytest.mark.parametrize(
    "drift",
    [
        lambda s: s.update(unexpected=1),  # built but not declared
        lambda s: s["contests"][0]["stations"][0].pop("source"),  # declared but not built
        lambda s: s["totals"].update(turnout="64%"),  # built with another type
        lambda s: s["contests"][1]["districts"][0].update(district_id=None),
    ],
)
def test_a_snapshot_that_drifts_from_the_declared_type_is_refused(
    populated: Election, drift: Callable[[dict[str, Any]], object]
) -> None:
    drifted = json.loads(snapshot_json(_snapshot(populated)))
    drift(drifted)
    with pytest.raises(ValidationError):
        SNAPSHOT.validate_python(drifted, strict=True)


def test_every_results_answer_is_what_the_openapi_document_declares(populated: Election, client: Client) -> None:
    slug = populated.slug
    SNAPSHOT.validate_json(client.get(f"{BASE}/{slug}").content, strict=True)
    for contest in ("mayor", "north-council"):
        TypeAdapter(ContestResults).validate_json(client.get(f"{BASE}/{slug}/contests/{contest}").content, strict=True)
    for code in ("N-001", "S-001", "NC-001"):
        body = client.get(f"{BASE}/{slug}/stations/{code}").content
        assert TypeAdapter(StationResults).validate_json(body, strict=True)["results"]
    TypeAdapter(NistElectionReport).validate_json(client.get(f"{BASE}/{slug}/nist.json").content, strict=True)
    latest = LatestVersion.model_validate_json(client.get(f"{BASE}/{slug}/latest.json").content, strict=True)
    SNAPSHOT.validate_json(client.get(latest.url).content, strict=True)

    document = client.get("/api/v1/openapi.json").json()
    declared = {
        path: op["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for path, op in document["paths"].items()
        if path.startswith("/api/v1/results/elections/{slug}") and not path.endswith(".csv")
    }
    assert declared == {
        "/api/v1/results/elections/{slug}": "Snapshot",
        "/api/v1/results/elections/{slug}/contests/{contest_slug}": "ContestResults",
        "/api/v1/results/elections/{slug}/stations/{code}": "StationResults",
        "/api/v1/results/elections/{slug}/nist.json": "NistElectionReport",
        "/api/v1/results/elections/{slug}/latest.json": "LatestVersion",
        "/api/v1/results/elections/{slug}/v/{version}.json": "Snapshot",
    }
    schemas = document["components"]["schemas"]
    assert set(schemas["Snapshot"]["properties"]) == set(Snapshot.__annotations__)
    assert schemas["SnapshotStationResult"]["additionalProperties"] is False
