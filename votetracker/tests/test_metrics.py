"""``/metrics``: Prometheus' text format, for the allowed addresses only, with the numbers an operator watches."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client
from prometheus_client import REGISTRY

from ballots.tests.conftest import contest, new_key, open_vote, station  # noqa: F401 - shared fixtures
from ballots.tests.support import submit_sheet
from elections.models import Contest, Election, PollingStation
from results.tests.conftest import clean_cache, published  # noqa: F401 - shared fixtures
from votetracker import metrics
from votetracker.asgi import application

METRIC_NAMES = [
    "votetracker_http_responses_total",
    "votetracker_http_request_duration_seconds",
    "votetracker_entries_accepted_total",
    "votetracker_entries_refused_total",
    "votetracker_websocket_viewers",
    "votetracker_broadcast_lag_seconds",
]


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_metrics_answer_in_prometheus_format_with_every_metric(client: Client) -> None:
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    for name in METRIC_NAMES:
        assert f"# TYPE {name} " in text
    assert 'votetracker_http_responses_total{method="GET",status="200"}' in text
    if settings.CONFIG.redis_url:
        assert "votetracker_cache_hits_total " in text
        assert "votetracker_cache_misses_total " in text


def test_metrics_are_refused_to_addresses_not_allowed(client: Client, settings: Any) -> None:
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_ALLOWED_NETWORKS = (ipaddress.ip_network("203.0.113.0/24"),)
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    settings.METRICS_ALLOWED_NETWORKS = ()
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


def test_a_client_cannot_pass_the_allow_list_by_forwarding_an_allowed_address(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="::1").status_code == 403


def test_behind_a_trusted_proxy_the_client_it_names_is_checked_not_the_proxy(client: Client, settings: Any) -> None:
    # As in the compose file: Prometheus and nginx both on Docker's networks, nginx the trusted proxy.
    settings.METRICS_ALLOWED_NETWORKS = (ipaddress.ip_network("172.16.0.0/12"),)
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("172.31.240.0/24"),)
    through_nginx: dict[str, Any] = {"REMOTE_ADDR": "172.31.240.5", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get("/metrics", **through_nginx).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="172.31.240.9").status_code == 200


def test_responses_are_counted_by_status(client: Client) -> None:
    before = sample("votetracker_http_responses_total", {"method": "GET", "status": "404"})
    client.get("/no-such-page/")
    client.get("/no-such-page/")
    assert sample("votetracker_http_responses_total", {"method": "GET", "status": "404"}) == before + 2


@pytest.mark.django_db
def test_an_accepted_entry_is_counted_by_action(
    station: PollingStation,  # noqa: F811
    contest: Contest,  # noqa: F811
    official: User,
    new_key: Callable[[], str],  # noqa: F811
) -> None:
    labels = {"action": "tally_sheet.submit"}
    before = sample("votetracker_entries_accepted_total", labels)
    key = new_key()
    submit_sheet(station=station, contest=contest, actor=official, key=key, votes=[5, 3])
    assert sample("votetracker_entries_accepted_total", labels) == before + 1
    # A replay of the same key changes nothing and is not a second entry.
    submit_sheet(station=station, contest=contest, actor=official, key=key, votes=[5, 3])
    assert sample("votetracker_entries_accepted_total", labels) == before + 1


@pytest.mark.django_db
def test_an_entry_refused_through_the_api_is_counted_by_code(
    client: Client,
    station: PollingStation,  # noqa: F811
    contest: Contest,  # noqa: F811
    official: User,
) -> None:
    client.force_login(official)
    labels = {"code": "idempotency_key_invalid"}
    before = sample("votetracker_entries_refused_total", labels)
    body = {"station_id": station.pk, "contest_id": contest.pk, "kind": "blank", "marks": []}
    response = client.post(
        "/api/v1/entry/ballots", data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="bad"
    )
    assert response.status_code == 422
    assert sample("votetracker_entries_refused_total", labels) == before + 1


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_viewers_are_counted_while_connected_and_the_lag_of_what_they_receive_is_observed(
    published: Election,  # noqa: F811
    station: PollingStation,  # noqa: F811
    contest: Contest,  # noqa: F811
    official: User,
    new_key: Callable[[], str],  # noqa: F811
) -> None:
    viewers = sample("votetracker_websocket_viewers")
    lags = sample("votetracker_broadcast_lag_seconds_count")
    origin = [(b"origin", b"http://testserver")]
    communicator = WebsocketCommunicator(application, f"/ws/results/{published.slug}/", headers=origin)
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    await communicator.receive_json_from(timeout=5)
    assert sample("votetracker_websocket_viewers") == viewers + 1
    refused = WebsocketCommunicator(application, "/ws/results/no-such-election/", headers=origin)
    assert (await refused.connect(timeout=5))[0] is False

    await database_sync_to_async(submit_sheet)(
        station=station, contest=contest, actor=official, key=new_key(), votes=[40, 2]
    )
    assert (await communicator.receive_json_from(timeout=5))["type"] == "update"
    assert sample("votetracker_broadcast_lag_seconds_count") == lags + 1

    await communicator.disconnect()
    assert sample("votetracker_websocket_viewers") == viewers
    await sync_to_async(connections.close_all)()


def test_broadcast_lag_is_observed_once_per_version() -> None:
    before = sample("votetracker_broadcast_lag_seconds_count")
    before_sum = sample("votetracker_broadcast_lag_seconds_sum")
    counted_at = (datetime.now(UTC) - timedelta(seconds=2)).isoformat()
    frame = json.dumps({"type": "update", "version": 7, "previous": 6, "updated_at": counted_at, "parts": {}})
    message = {"type": "results.update", "version": 7, "updated_at": counted_at, "frame": frame}
    for _viewer in range(3):
        metrics.observe_broadcast_lag(987654, message)
    assert sample("votetracker_broadcast_lag_seconds_count") == before + 1
    assert 2 <= sample("votetracker_broadcast_lag_seconds_sum") - before_sum < 10
    metrics.observe_broadcast_lag(987654, {**message, "version": 8})
    assert sample("votetracker_broadcast_lag_seconds_count") == before + 2
