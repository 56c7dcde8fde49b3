"""The Postman collection in postman/: in step with the OpenAPI document, and passing under newman against a real
server (daphne on the test database)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from ballots.models import TallySheet
from ballots.tests.support import set_counting
from elections.models import ClerkAssignment, Election
from elections.services import open_election, publish_results
from trust.tokens import activate_api_token, offer_api_token
from votetracker.api import api
from votetracker.tests.servers import daphne_server

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "postman" / "votetracker.postman_collection.json"
ENVIRONMENT = ROOT / "postman" / "votetracker.postman_environment.json"
NEWMAN = ROOT / "node_modules" / ".bin" / "newman"
COLLECTION_JSON: dict[str, Any] = json.loads(COLLECTION.read_text(encoding="utf-8"))
SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

# Requests of the collection that the OpenAPI document does not describe, and why.
NOT_IN_OPENAPI = {
    ("GET", "/api/v1/openapi.json"): "the OpenAPI document itself",
    ("GET", "/entry/login/"): "the entry site's login form, for signing in with the session",
    ("POST", "/entry/login/"): "the entry site's login form, for signing in with the session",
}
# Operations of the OpenAPI document that no request exercises, and why. Empty: the collection covers them all.
NOT_IN_COLLECTION: dict[tuple[str, str], str] = {}

PASSWORD = "postman-clerk-password-2026"


def collection_requests(items: list[dict[str, Any]] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(name, method, URL) of every request of the collection, folders included."""
    for item in COLLECTION_JSON["item"] if items is None else items:
        if "item" in item:
            yield from collection_requests(item["item"])
        else:
            yield item["name"], item["request"]["method"], item["request"]["url"]


def request_path(url: dict[str, Any]) -> str:
    """The path a Postman URL asks for (newman sends its ``path`` segments, not ``raw``), each ``{{variable}}``
    standing for one segment."""
    assert url["host"] == ["{{baseUrl}}"], f"{url['raw']}: every request goes to {{{{baseUrl}}}}"
    path = "/" + "/".join(url["path"])
    assert url["raw"].split("?", 1)[0] == "{{baseUrl}}" + path, f"{url['raw']}: raw and path segments differ"
    return path


def path_pattern(template: str) -> re.Pattern[str]:
    """An OpenAPI path template as a pattern: ``{name}`` matches one segment, or a Postman ``{{variable}}``."""
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def openapi_operations() -> set[tuple[str, str]]:
    document = api.get_openapi_schema()
    return {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}


def match_operation(method: str, path: str, operations: set[tuple[str, str]]) -> tuple[str, str] | None:
    """The documented operation a request hits; a literal path (``stations.csv``) wins over a template."""
    found = [op for op in operations if op[0] == method and path_pattern(op[1]).match(path)]
    found.sort(key=lambda op: op[1].count("{"))
    return found[0] if found else None


def test_collection_is_postman_v21_with_tests_on_every_request() -> None:
    assert COLLECTION_JSON["info"]["schema"] == SCHEMA_V21
    names = [name for name, _method, _url in collection_requests()]
    assert len(names) == len(set(names)), "request names are unique (the retries jump to them by name)"

    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield from walk(item["item"]) if "item" in item else [item]

    for item in walk(COLLECTION_JSON["item"]):
        tests = [e for e in item.get("event", []) if e["listen"] == "test"]
        assert tests, f"{item['name']}: has no tests"
        assert "pm.test(" in "\n".join(tests[0]["script"]["exec"]), f"{item['name']}: has no pm.test assertion"


def test_environment_names_the_variables_the_collection_needs() -> None:
    environment = json.loads(ENVIRONMENT.read_text(encoding="utf-8"))
    keys = {value["key"] for value in environment["values"]}
    assert {"baseUrl", "electionSlug", "token", "username", "password"} <= keys


def test_every_request_hits_a_documented_operation_and_every_operation_is_exercised() -> None:
    operations = openapi_operations()
    assert operations, "the OpenAPI document lists the API's operations"
    exercised: set[tuple[str, str]] = set()
    outside: set[tuple[str, str]] = set()
    undocumented: list[str] = []
    for name, method, url in collection_requests():
        path = request_path(url)
        operation = match_operation(method, path, operations)
        if operation is not None:
            exercised.add(operation)
        elif (method, path) in NOT_IN_OPENAPI:
            outside.add((method, path))
        else:
            undocumented.append(f"{name}: {method} {path}")
    assert undocumented == [], "requests that no OpenAPI operation describes"
    assert outside == NOT_IN_OPENAPI.keys(), "an allowed undocumented request is gone: drop it from the list"
    unexercised = sorted(operations - exercised - NOT_IN_COLLECTION.keys())
    assert unexercised == [], "OpenAPI operations no request of the collection exercises"
    assert not NOT_IN_COLLECTION.keys() & exercised, "an allowed gap is exercised after all: drop it from the list"


def test_path_matching_tells_the_csv_export_from_a_station_code() -> None:
    operations = openapi_operations()
    csv_path = "/api/v1/results/elections/{{electionSlug}}/stations.csv"
    station_path = "/api/v1/results/elections/{{electionSlug}}/stations/{{entryStationCode}}"
    assert match_operation("GET", csv_path, operations) == ("GET", "/api/v1/results/elections/{slug}/stations.csv")
    assert match_operation("GET", station_path, operations) == (
        "GET",
        "/api/v1/results/elections/{slug}/stations/{code}",
    )
    assert match_operation("DELETE", station_path, operations) is None
    assert match_operation("GET", "/api/v1/results/nowhere", operations) is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_newman_runs_the_collection_against_a_real_server(
    election: Election, official: User, clerk: User, settings: Any
) -> None:
    assert NEWMAN.exists(), "newman is missing: `make newman-deps` installs it (npm ci) before the tests run"
    # The server reads results from the shared cache: an earlier run's snapshot of the same slug must not linger.
    cache.clear()
    # The server hashes with Argon2 (the tests' fast hasher is not in its list); the clerk signs in on the login form.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    clerk.set_password(PASSWORD)
    clerk.save(update_fields=["password"])
    election = set_counting(election, Election.CountingMethod.BOTH)
    election = open_election(election=election, actor=official)
    election = publish_results(election=election, actor=official)
    station = election.stations.get(code="N-002")
    ClerkAssignment.objects.create(user=clerk, station=station)
    contest = election.contests.get(slug="mayor")
    _token, secret = activate_api_token(
        api_token=offer_api_token(user=clerk, name="newman", issued_by=official), user=clerk
    )
    with daphne_server() as base:
        variables = {
            "baseUrl": base,
            "token": secret,
            "electionSlug": election.slug,
            "electionId": election.pk,
            "stationId": station.pk,
            "contestId": contest.pk,
            "username": clerk.username,
            "password": PASSWORD,
        }
        command = [str(NEWMAN), "run", str(COLLECTION), "-e", str(ENVIRONMENT), "--reporters", "cli", "--color", "off",
                   "--timeout-request", "20000"]  # fmt: skip
        for key, value in variables.items():
            command += ["--env-var", f"{key}={value}"]
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    report = f"newman exited {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, report
    # The run did enter results: the sheet the collection submitted is the station's accepted one.
    sheet = TallySheet.objects.get(station=station, contest=contest, status=TallySheet.Status.ACCEPTED)
    assert (sheet.ballots_cast, sheet.blank, sheet.invalid) == (14, 1, 1)
