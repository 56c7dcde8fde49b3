"""The entry API limits how often one token (or one signed-in user) may call it; past the limit it answers 429."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from ballots.models import TurnoutReport
from ballots.throttling import EntryRateThrottle
from elections.models import Election, PollingStation
from trust.models import AuditEvent
from trust.tokens import activate_api_token, offer_api_token
from votetracker.tests.servers import daphne_server

STATIONS = "/api/v1/entry/stations"


@pytest.fixture(autouse=True)
def fresh_counters() -> None:
    """Counters live in the cache, which outlives a test; each test here starts from none."""
    cache.clear()


def start_of_fresh_window(seconds: int, *, needed: float) -> None:
    """Wait for a new window when fewer than ``needed`` seconds remain in this one, so a test's requests share one."""
    remaining = seconds - time.time() % seconds
    if remaining < needed:
        time.sleep(remaining + 0.05)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def report_turnout(client: Client, station: PollingStation, voters: int, headers: dict[str, str]) -> Any:
    return client.post(
        "/api/v1/entry/turnout",
        data=json.dumps({"station_id": station.pk, "voters": voters}),
        content_type="application/json",
        headers={**headers, "Idempotency-Key": f"throttle-{voters:04d}"},
    )


@pytest.fixture
def token(clerk: User, official: User, open_vote: Election) -> str:
    return activate_api_token(api_token=offer_api_token(user=clerk, name="tablet 1", issued_by=official), user=clerk)[1]


def test_a_token_past_the_rate_gets_429_with_retry_after_and_its_entry_is_not_written(
    settings: Any, token: str, station: PollingStation
) -> None:
    settings.ENTRY_API_RATE = "3/hour"
    start_of_fresh_window(3600, needed=15)
    client = Client()
    accepted = [report_turnout(client, station, voters, headers=bearer(token)).status_code for voters in (10, 20, 30)]
    audit_before = AuditEvent.objects.count()

    refused = report_turnout(client, station, 40, headers=bearer(token))

    assert accepted == [201, 201, 201]
    assert refused.status_code == 429
    assert refused.json() == {
        "error": {
            "code": "rate_limited",
            "message": f"Too many requests. Try again in {refused['Retry-After']} seconds.",
            "details": {"retry_after": int(refused["Retry-After"])},
        }
    }
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert TurnoutReport.objects.count() == 3
    assert AuditEvent.objects.count() == audit_before


def test_each_token_and_each_session_counts_on_its_own(
    settings: Any, clerk: User, official: User, token: str, station: PollingStation
) -> None:
    settings.ENTRY_API_RATE = "2/hour"
    start_of_fresh_window(3600, needed=15)
    second_token = activate_api_token(
        api_token=offer_api_token(user=clerk, name="tablet 2", issued_by=official), user=clerk
    )[1]
    client = Client()
    first = [client.get(STATIONS, headers=bearer(token)).status_code for _ in range(3)]
    second = [client.get(STATIONS, headers=bearer(second_token)).status_code for _ in range(3)]
    session = Client()
    session.force_login(clerk)
    by_session = [session.get(STATIONS).status_code for _ in range(3)]

    assert first == second == by_session == [200, 200, 429]


def test_callers_without_valid_credentials_get_401_not_429(settings: Any, open_vote: Election) -> None:
    settings.ENTRY_API_RATE = "1/hour"
    client = Client()
    statuses = [client.get(STATIONS).status_code for _ in range(3)]
    statuses += [client.get(STATIONS, headers=bearer("vt_000000000000_unknown")).status_code for _ in range(3)]
    assert statuses == [401] * 6


def test_the_limit_lifts_when_the_window_passes(settings: Any, token: str) -> None:
    settings.ENTRY_API_RATE = "2/2s"
    start_of_fresh_window(2, needed=1.5)
    client = Client()
    statuses = [client.get(STATIONS, headers=bearer(token)).status_code for _ in range(2)]
    refused = client.get(STATIONS, headers=bearer(token))
    wait = int(refused["Retry-After"])
    time.sleep(wait)

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert 1 <= wait <= 2
    assert client.get(STATIONS, headers=bearer(token)).status_code == 200


def test_a_malformed_rate_is_refused_naming_the_setting(settings: Any) -> None:
    settings.ENTRY_API_RATE = "lots/min"
    with pytest.raises(ImproperlyConfigured, match="ENTRY_API_RATE"):
        EntryRateThrottle()


def test_the_openapi_document_lists_the_429_answer(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    entry = [op for path, ops in paths.items() if path.startswith("/api/v1/entry/") for op in ops.values()]
    assert entry
    assert all("429" in operation["responses"] for operation in entry)


def fetch(url: str, token: str) -> tuple[int, str | None]:
    """The status of a GET to another node, with the error code of a refusal."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 - local server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status), None
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())["error"]["code"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_app_nodes_share_one_count_through_redis(settings: Any, monkeypatch: Any, token: str) -> None:
    """This process and a Daphne server are two app nodes: together they allow the rate once, not twice."""
    monkeypatch.setenv("ENTRY_API_RATE", "4/hour")
    settings.ENTRY_API_RATE = "4/hour"
    client = Client()
    with daphne_server() as node:
        start_of_fresh_window(3600, needed=15)
        here = [client.get(STATIONS, headers=bearer(token)).status_code for _ in range(2)]
        there = [fetch(f"{node}{STATIONS}", token) for _ in range(3)]
        here.append(client.get(STATIONS, headers=bearer(token)).status_code)

    assert here == [200, 200, 429]
    assert there == [(200, None), (200, None), (429, "rate_limited")]
