"""The image's own server command, started as the image starts it: a client's X-Forwarded-For neither opens
``/metrics`` nor escapes the login lockout; only a proxy in TRUSTED_PROXIES may name the client."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from results.tests.topology import image_command, wait_until_answering
from votetracker.tests.servers import ROOT, free_port, server_environment


@contextmanager
def image_server(env: Mapping[str, str]) -> Iterator[int]:
    """The Dockerfile's CMD on a free local port with the given environment; yields the port."""
    port = free_port()
    process = subprocess.Popen(
        image_command(port), cwd=ROOT, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", process, "the app node")
        yield port
    finally:
        process.kill()
        process.wait(timeout=10)


def request(
    port: int, method: str, path: str, headers: Mapping[str, str], body: str | None = None
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body, headers=dict(headers))
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def sqlite_node_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A server-mode node on a scratch SQLite file: enough for /metrics, which reads no table."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "TRUSTED_PROXIES", "METRICS_ALLOWED_IPS"}}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'node.sqlite3'}",
            "SECRET_KEY": "forwarded-for-test-key-not-for-production-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1",
            **overrides,
        }
    )
    return env


def test_the_image_ignores_a_forwarded_address_from_a_client(tmp_path: Path) -> None:
    env = sqlite_node_environment(tmp_path, METRICS_ALLOWED_IPS="192.0.2.1")
    with image_server(env) as port:
        assert request(port, "GET", "/metrics", {"X-Forwarded-For": "192.0.2.1"}).status == 403


def test_the_image_believes_a_forwarded_address_from_a_trusted_proxy(tmp_path: Path) -> None:
    env = sqlite_node_environment(tmp_path, METRICS_ALLOWED_IPS="192.0.2.1", TRUSTED_PROXIES="127.0.0.1")
    with image_server(env) as port:
        assert request(port, "GET", "/metrics", {"X-Forwarded-For": "192.0.2.1"}).status == 200
        assert request(port, "GET", "/metrics", {"X-Forwarded-For": "198.51.100.4"}).status == 403


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_wrong_passwords_with_eight_forwarded_addresses_are_locked_out() -> None:
    env = {k: v for k, v in server_environment().items() if k != "TRUSTED_PROXIES"}
    with image_server(env) as port:
        form = request(port, "GET", "/entry/login/", {})
        cookie = re.search(r"csrftoken=([^;]+)", form.getheader("Set-Cookie") or "")
        assert cookie is not None
        page = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        page.request("GET", "/entry/login/", headers={"Cookie": f"csrftoken={cookie.group(1)}"})
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.getresponse().read().decode())
        page.close()
        assert token is not None
        statuses = []
        for n in range(8):
            body = f"csrfmiddlewaretoken={token.group(1)}&username=clerk&password=wrong-{n}"
            headers = {
                "Cookie": f"csrftoken={cookie.group(1)}",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": f"198.51.100.{n}",
            }
            statuses.append(request(port, "POST", "/entry/login/", headers, body).status)
    assert statuses == [200, 200, 200, 200, 429, 429, 429, 429]
