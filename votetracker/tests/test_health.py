"""Liveness and readiness probes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

PROJECT_DIR = Path(__file__).resolve().parents[2]
SERVER_ENV = {
    "SECRET_KEY": "readiness-probe-test-key-not-for-production-0123456789abcdef",
    "ALLOWED_HOSTS": "testserver",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
}
PROBE = (
    "import django, json; django.setup(); from django.test import Client; "
    "r = Client().get('/readyz'); print(json.dumps({'status': r.status_code, 'body': r.json()}))"
)


def _probe_readyz(env_overrides: dict[str, str]) -> dict[str, object]:
    """Ask /readyz in a fresh process configured by ``env_overrides``, as a node started that way would answer."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "votetracker.settings", **env_overrides})
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_healthz_answers_without_touching_dependencies(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert ("redis" in checks) == bool(settings.CONFIG.redis_url)


@pytest.mark.postgres_only
def test_readyz_answers_503_naming_redis_when_redis_is_down() -> None:
    answer = _probe_readyz({**SERVER_ENV, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert answer["status"] == 503
    body = answer["body"]
    assert isinstance(body, dict)
    assert body["checks"] == {"database": "ok", "redis": "down"}
    assert "redis unreachable" in body["down"]["redis"]


def test_readyz_answers_503_naming_the_database_when_it_is_down() -> None:
    answer = _probe_readyz({**SERVER_ENV, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/votetracker"})
    assert answer["status"] == 503
    body = answer["body"]
    assert isinstance(body, dict)
    assert body["checks"] == {"database": "down"}
    assert "database unreachable" in body["down"]["database"]


@pytest.mark.django_db
def test_unknown_page_gets_the_site_not_found_page(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'href="/"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_a_node_called_by_its_address(client: Client, settings: Any, path: str) -> None:
    """A container health check calls 127.0.0.1:8000, never a name in ALLOWED_HOSTS; it must still get its answer."""
    settings.ALLOWED_HOSTS = ["votes.example.org"]
    response = client.get(path, HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    # Every other path still refuses a host that is not allowed.
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400
