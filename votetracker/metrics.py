"""Prometheus metrics of one app node, served at ``/metrics`` to the addresses in ``METRICS_ALLOWED_IPS``.

The address checked is the client's as ``votetracker.middleware.ClientAddressMiddleware`` resolved it (the peer, or
``X-Forwarded-For`` from ``TRUSTED_PROXIES`` only); without that middleware nobody is allowed.

Daphne runs one process per node, so the default registry of ``prometheus_client`` holds the node's numbers.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

# A "_created" timestamp beside every counter doubles the output and tells nothing a scraper needs.
disable_created_metrics()

HTTP_RESPONSES = Counter(
    "votetracker_http_responses", "HTTP responses sent, by request method and status code.", ["method", "status"]
)
HTTP_DURATION = Histogram(
    "votetracker_http_request_duration_seconds",
    "Time from a request entering the middleware to its response leaving it.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ENTRIES_ACCEPTED = Counter(
    "votetracker_entries_accepted", "Entries written (ballots, sheets, turnout, reviews, voids), by action.", ["action"]
)
ENTRIES_REFUSED = Counter("votetracker_entries_refused", "Entries the rules refused, by error code.", ["code"])
WEBSOCKET_VIEWERS = Gauge("votetracker_websocket_viewers", "Viewers connected to the live results channel.")
BROADCAST_LAG = Histogram(
    "votetracker_broadcast_lag_seconds",
    "Time from a results snapshot being counted to its broadcast reaching this node's viewers.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)

# Where ClientAddressMiddleware leaves the resolved client address.
CLIENT_ADDRESS_KEY = "votetracker.client_address"
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# The newest version whose lag this process has observed, per election: one observation per broadcast, not per viewer.
_observed_versions: dict[int, int] = {}


def count_response(method: str, status: int, seconds: float) -> None:
    HTTP_RESPONSES.labels(method=method if method in KNOWN_METHODS else "other", status=str(status)).inc()
    HTTP_DURATION.observe(seconds)


def count_entry_accepted(action: str) -> None:
    """Count an entry as it is written. Its transaction has passed every rule by then; only a database failure at
    commit would still undo it, and the one callback an entry leaves for after commit is the results funnel's."""
    ENTRIES_ACCEPTED.labels(action=action).inc()


def count_entry_refused(code: str) -> None:
    ENTRIES_REFUSED.labels(code=code).inc()


def viewer_connected() -> None:
    WEBSOCKET_VIEWERS.inc()


def viewer_disconnected(*, accepted: bool) -> None:
    if accepted:
        WEBSOCKET_VIEWERS.dec()


def observe_broadcast_lag(election_id: int | None, message: dict[str, Any]) -> None:
    """Record how old a broadcast's snapshot is when it reaches this node, once per version and election."""
    version = int(message.get("version", 0))
    if election_id is None or _observed_versions.get(election_id, 0) >= version:
        return
    _observed_versions[election_id] = version
    try:
        # The layer message carries the snapshot's time beside its encoded frame (results.frames.build_messages).
        counted_at = datetime.fromisoformat(str(message["updated_at"])).timestamp()
    except (KeyError, ValueError):
        return
    BROADCAST_LAG.observe(max(0.0, time.time() - counted_at))


class RedisCacheCollector(Collector):
    """Cache hits and misses as Redis counts them (``INFO stats``), read when Prometheus scrapes."""

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = _redis_stats()
        if stats is None:
            return
        for name, key, text in (
            ("votetracker_cache_hits", "keyspace_hits", "Lookups of the cache's Redis that found the key."),
            ("votetracker_cache_misses", "keyspace_misses", "Lookups of the cache's Redis that found nothing."),
        ):
            family = CounterMetricFamily(name, text)
            family.add_metric([], float(stats.get(key, 0)))
            yield family


def _redis_stats() -> dict[str, Any] | None:
    if not settings.CONFIG.redis_url:
        return None
    from django_redis import get_redis_connection

    try:
        stats: dict[str, Any] = get_redis_connection("default").info("stats")
    except Exception:  # noqa: BLE001 - a scrape while Redis is down still answers, without the cache numbers
        return None
    return stats


REGISTRY.register(RedisCacheCollector())


def is_allowed_scraper(address: str | None) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(client in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The node's metrics in Prometheus' text format, for the addresses allowed to scrape them (403 otherwise)."""
    if not is_allowed_scraper(request.META.get(CLIENT_ADDRESS_KEY)):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
