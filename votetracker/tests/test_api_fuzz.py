"""Schemathesis throws thousands of generated requests at every operation of the OpenAPI document, in process
through the WSGI application on the test database: none may answer 5xx or raise, and every answer must match what
the document says (status, content type, body schema). Entry operations are called with a real API token, and a
share of the generated ids are swapped for real ones so the requests reach the rules behind the 401s and 404s."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from ballots.services import record_ballot
from ballots.tests.support import set_counting
from elections.models import Election
from elections.services import open_election, publish_results
from results.services import current_version
from trust.tokens import activate_api_token, offer_api_token

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Generated examples per operation and mode: entry operations are fuzzed with valid and with invalid data; the
# results operations, whose only parameters are free-text path segments, with valid data only (anything is valid).
ENTRY_EXAMPLES = {GenerationMode.POSITIVE: 120, GenerationMode.NEGATIVE: 70}
RESULTS_EXAMPLES = {GenerationMode.POSITIVE: 170}
MINIMUM_REQUESTS = 2000
# Share of requests that carry the clerk's token; the rest check that entry is refused without one.
AUTHENTICATED = 0.85
# Share of generated ids replaced by real ones, so requests pass the lookups and meet the entry rules.
REAL_IDS = 0.7
# Share of entry writes whose generated body is replaced by one that keeps the rules, so that acceptances,
# corrections and replays happen too.
VALID_BODIES = 0.3


def _known(election: Election, clerk: User, official: User) -> dict[str, list[Any]]:
    """The real ids and slugs a request may name, with a few ballots to void."""
    station = election.stations.get(code="N-001")
    contest = election.contests.get(slug="mayor")
    ballots = [
        record_ballot(
            station=station, contest=contest, kind="blank", marks=[], actor=clerk, idempotency_key=f"seed-{i:04d}"
        ).body["ballot_id"]
        for i in range(5)
    ]
    return {
        "station_id": list(election.stations.values_list("pk", flat=True)),
        "own_station_id": [station.pk],
        "contest_id": [contest.pk],
        "candidate_id": list(contest.candidates.values_list("pk", flat=True)),
        "ballot_id": ballots,
        "election_id": [election.pk],
        "slug": [election.slug],
        "contest_slug": [contest.slug],
        "code": list(election.stations.values_list("code", flat=True)),
        "version": [current_version(election_id=election.pk)],
    }


def _plant(value: Any, known: dict[str, list[Any]], rng: random.Random) -> Any:
    """Swap some generated ids in a JSON body for real ones (votes keyed by real candidate ids included)."""
    if isinstance(value, list):
        return [_plant(item, known, rng) for item in value]
    if not isinstance(value, dict):
        return value
    planted = {}
    for name, item in value.items():
        if name in known and rng.random() < REAL_IDS:
            planted[name] = rng.choice(known[name])
        elif name == "votes" and isinstance(item, dict) and rng.random() < REAL_IDS:
            planted[name] = {str(c): rng.randint(0, 50) for c in known["candidate_id"]}
        elif name == "marks" and isinstance(item, list) and rng.random() < REAL_IDS:
            planted[name] = rng.sample(known["candidate_id"], k=min(len(item), len(known["candidate_id"])))
        else:
            planted[name] = _plant(item, known, rng)
    return planted


def _valid_body(path: str, known: dict[str, list[Any]], rng: random.Random) -> Any:
    """A body for an entry write that keeps every rule, at the clerk's own station (None for other operations)."""
    station, contest = known["own_station_id"][0], known["contest_id"][0]
    candidates = known["candidate_id"]
    if path.endswith(("/ballots", "/batch")):
        items = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(["marked", "blank", "invalid"])
            marks = [rng.choice(candidates)] if kind == "marked" else []
            items.append({"station_id": station, "contest_id": contest, "kind": kind, "marks": marks})
        return {"items": items} if path.endswith("/batch") else items[0]
    if path.endswith("/tally-sheets"):
        votes = {str(c): rng.randint(0, 150) for c in candidates}
        blank, invalid = rng.randint(0, 20), rng.randint(0, 20)
        cast = sum(votes.values()) + blank + invalid
        reason = rng.choice(["", "Recounted at the centre."])
        return {"station_id": station, "contest_id": contest, "ballots_cast": cast, "blank": blank,
                "invalid": invalid, "votes": votes, "reason": reason}  # fmt: skip
    if path.endswith("/turnout"):
        return {"station_id": station, "voters": rng.randint(0, 800)}
    if path.endswith("/void"):
        return {"reason": "Entered twice."}
    return None


def _realistic(case: Any, known: dict[str, list[Any]], rng: random.Random, keys: list[str]) -> None:
    """Make a positive case name real things some of the time, and replay an earlier key some of the time."""
    for name in case.path_parameters or {}:
        if name in known and rng.random() < REAL_IDS:
            case.path_parameters[name] = rng.choice(known[name])
    for name in list(case.query or {}):
        if name in known and rng.random() < REAL_IDS:
            case.query[name] = rng.choice(known[name])
    valid = _valid_body(case.operation.path, known, rng) if case.method == "POST" else None
    if valid is not None and rng.random() < VALID_BODIES:
        case.body = valid
    elif isinstance(case.body, dict | list):
        case.body = _plant(case.body, known, rng)
    if case.headers and "Idempotency-Key" in case.headers:
        roll = rng.random()
        if roll < 0.15 and keys:
            case.headers["Idempotency-Key"] = rng.choice(keys)
        elif roll < 0.7:
            case.headers["Idempotency-Key"] = f"fuzz-{rng.getrandbits(48):012x}"
        keys.append(case.headers["Idempotency-Key"])


# Sends one generated case: the case, a random source for the changes made to it, and whether to authenticate.
Send = Callable[[Any, random.Random, bool], None]


def _fuzz(
    operation: Any, mode: GenerationMode, examples: int, send: Callable[[Any, random.Random, bool], None]
) -> None:
    """Send ``examples`` generated requests to one operation, each with its own random choices."""

    @hypothesis_settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), seed=st.integers(0, 2**32), auth=st.floats(0, 1))
    def call(case: Any, seed: int, auth: float) -> None:
        send(case, random.Random(seed), auth < AUTHENTICATED)

    call()


def test_generated_requests_to_every_operation_get_documented_answers_and_never_a_server_error(
    election: Election, official: User, clerk: User, settings: Any
) -> None:
    # One token sends thousands of requests here; the entry rate limit has tests of its own.
    settings.ENTRY_API_RATE = "1000000/min"
    set_counting(open_election(election=election, actor=official), Election.CountingMethod.BOTH)
    publish_results(election=Election.objects.get(pk=election.pk), actor=official)
    token = activate_api_token(api_token=offer_api_token(user=clerk, name="fuzz", issued_by=official), user=clerk)[1]
    known = _known(election, clerk, official)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    # Every operation the document declares was understood.
    assert len(operations) == sum(len(methods) for methods in schema.raw_schema["paths"].values())
    statuses: Counter[tuple[str, int]] = Counter()
    keys: list[str] = []

    def send(case: Any, rng: random.Random, authenticated: bool) -> None:
        if case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE:
            _realistic(case, known, rng, keys)
        headers = {"Authorization": f"Bearer {token}"} if authenticated else {}
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[(case.operation.label, response.status_code)] += 1

    started = time.monotonic()
    for operation in operations:
        plan = ENTRY_EXAMPLES if "/entry/" in operation.path else RESULTS_EXAMPLES
        for mode, examples in plan.items():
            _fuzz(operation, mode, examples, send)
    took = time.monotonic() - started

    total = sum(statuses.values())
    print(f"{total} requests in {took:.1f} s:", dict(sorted(statuses.items())))
    assert total >= MINIMUM_REQUESTS, statuses
    assert all(status < 500 for _, status in statuses), statuses
    # The entry rules were reached, not only the authentication in front of them, and writes were accepted.
    entry = {status for (label, status) in statuses if "/entry/" in label}
    assert {200, 201, 400, 401, 403, 404, 422} <= entry, statuses
    results = {status for (label, status) in statuses if "/results/" in label}
    assert {200, 404} <= results, statuses


@pytest.mark.parametrize("reason", ["\x00", "late\x00"])
def test_a_reason_holding_a_nul_character_is_answered_422_not_503(
    election: Election, official: User, clerk: User, client: Client, reason: str
) -> None:
    """PostgreSQL cannot store NUL; it used to surface as a database error, answered 503 "database not answering"."""
    set_counting(open_election(election=election, actor=official), Election.CountingMethod.BOTH)
    ballot_id = _known(election, clerk, official)["ballot_id"][0]
    token = activate_api_token(api_token=offer_api_token(user=clerk, name="nul", issued_by=official), user=clerk)[1]
    response = client.post(
        f"/api/v1/entry/ballots/{ballot_id}/void",
        {"reason": reason},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "nul-void-0001"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "text_invalid"
    assert response.json()["error"]["details"] == {"field": "reason"}


@pytest.mark.parametrize("slug", ["x" * 300, "%00", "a%00b", "%F0%9F%97%B3"])
def test_an_impossible_election_slug_is_answered_404(election: Election, client: Client, slug: str) -> None:
    """A NUL character in the slug was answered 500 (PostgreSQL refuses it in a query); a slug longer than any
    election's made a cache key too long for some caches."""
    response = client.get(f"/api/v1/results/elections/{slug}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
