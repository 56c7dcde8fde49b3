"""Production settings: Django's deployment checks pass, HTTPS is enforced behind the proxy, and every page carries a
Content Security Policy and clickjacking protection."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROBE = """
import django, json
django.setup()
from django.test import Client
client = Client()
answers = {}
for name, path, headers in [
    ("page_over_http", "/admin/login/", {}),
    ("page_over_https", "/admin/login/", {"HTTP_X_FORWARDED_PROTO": "https"}),
    ("page_claiming_https", "/admin/login/", {"HTTP_X_FORWARDED_PROTO": "https", "REMOTE_ADDR": "203.0.113.9"}),
    ("healthz_over_http", "/healthz", {}),
]:
    response = client.get(path, **headers)
    answers[name] = {
        "status": response.status_code,
        "location": response.get("Location"),
        "hsts": response.get("Strict-Transport-Security"),
        "secure_cookies": sorted(name for name, morsel in response.cookies.items() if morsel["secure"]),
    }
print(json.dumps(answers))
"""


def production_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A server-mode node as it is deployed: a public host name, a long random key, DEBUG off, and the proxy in front
    (the test client's address) trusted."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "HTTPS", "DEBUG"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "votetracker.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'node.sqlite3'}",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "results.example.org,testserver",
            "CSRF_TRUSTED_ORIGINS": "https://results.example.org",
            "TRUSTED_PROXIES": "127.0.0.1",
            **overrides,
        }
    )
    return env


def test_deployment_checks_pass_with_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=production_environment(tmp_path, HTTPS="true"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deployment_checks_fail_without_https(tmp_path: Path) -> None:
    """The check is a real guard: the same node without HTTPS is refused."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env=production_environment(tmp_path, HTTPS="false"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def _probe(env: dict[str, str]) -> dict[str, dict[str, object]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_server_mode_redirects_to_https_and_sends_hsts_and_secure_cookies(tmp_path: Path) -> None:
    answers = _probe(production_environment(tmp_path))
    assert answers["page_over_http"]["status"] == 301
    assert answers["page_over_http"]["location"] == "https://testserver/admin/login/"
    over_https = answers["page_over_https"]
    assert over_https["status"] == 200
    assert over_https["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert over_https["secure_cookies"] == ["csrftoken"]
    # Only the trusted proxy says what the scheme was: a client claiming HTTPS itself is still redirected.
    assert answers["page_claiming_https"]["status"] == 301
    # Probes come from inside over plain HTTP and must not be redirected.
    assert answers["healthz_over_http"]["status"] == 200


def test_https_false_serves_plain_http(tmp_path: Path) -> None:
    answers = _probe(production_environment(tmp_path, HTTPS="false"))
    assert answers["page_over_http"]["status"] == 200
    assert answers["page_over_http"]["hsts"] is None
    assert answers["page_over_http"]["secure_cookies"] == []


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/v1/docs"])
def test_pages_carry_a_content_security_policy_and_refuse_framing(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = _policy(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_api_docs_load_their_scripts_from_the_site_itself(client: Client) -> None:
    """The policy allows scripts only from the site, so the docs must not come from a CDN."""
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page
