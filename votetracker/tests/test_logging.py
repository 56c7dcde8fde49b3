"""Server-mode logs: JSON lines, each with the request id, and never a password, token, session id or the
Authorization and Cookie headers, whoever logs them."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from votetracker.logging import logging_config, redact

WRONG_PASSWORD = "Wr0ng-but-Secret-Passw0rd"
POSTED_PASSWORD = "posted-Passw0rd-in-a-form"
BEARER_TOKEN = "vt_unknown_9f8e7d6c5b4a39281706"


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The server-mode logging configuration, writing to a buffer instead of standard error."""
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    logging.config.dictConfig(logging_config(json_format=True, level="INFO"))
    try:
        yield buffer
    finally:
        monkeypatch.undo()
        logging.config.dictConfig(settings.LOGGING)


def _records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_no_secret_reaches_the_logs(json_logs: io.StringIO, official: User, settings: Any) -> None:
    settings.ROOT_URLCONF = "votetracker.tests.failing_urls"
    client = Client(raise_request_exception=False)

    refused = client.post("/admin/login/", {"username": "official", "password": WRONG_PASSWORD, "next": "/admin/"})
    assert refused.status_code == 200
    unknown_token = client.get("/api/v1/entry/stations", HTTP_AUTHORIZATION=f"Bearer {BEARER_TOKEN}")
    assert unknown_token.status_code == 401

    client.force_login(official)
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies["csrftoken"] = "csrf-cookie-value-0123456789abcdef"
    failed = client.post(
        "/fail-carelessly",
        {"username": "official", "password": POSTED_PASSWORD},
        HTTP_AUTHORIZATION=f"Bearer {BEARER_TOKEN}",
        HTTP_X_REQUEST_ID="proxy-request-42",
    )
    assert failed.status_code == 500
    assert failed["X-Request-ID"] == "proxy-request-42"

    output = json_logs.getvalue()
    records = _records(json_logs)
    unauthorized = next(r for r in records if r["message"] == "Unauthorized: /api/v1/entry/stations")
    assert unauthorized["request_id"] == unknown_token["X-Request-ID"]
    server_error = next(r for r in records if r["message"] == "Internal Server Error: /fail-carelessly")
    assert server_error["level"] == "ERROR"
    assert server_error["request_id"] == "proxy-request-42"
    assert "RuntimeError: refused credentials Bearer [redacted]" in server_error["exception"]
    careless = next(r for r in records if r["logger"] == "votetracker.tests.careless")
    assert "'Authorization': '[redacted]'" in careless["message"]
    assert "'Cookie': '[redacted]'" in careless["message"]
    for secret in (WRONG_PASSWORD, POSTED_PASSWORD, BEARER_TOKEN, session_id, "csrf-cookie-value-0123456789abcdef"):
        assert secret not in output


def test_every_line_is_json_with_the_request_id(json_logs: io.StringIO, client: Client) -> None:
    logging.getLogger("votetracker").info("outside any request")
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a")
    assert response["X-Request-ID"] == "lb-7f3a"
    logging.getLogger("votetracker").warning("with %s", "extras", extra={"station": "N-001", "api_token": "abc"})
    first, second = _records(json_logs)
    assert first["request_id"] == second["request_id"] == "-"
    assert set(first) == {"time", "level", "logger", "message", "request_id"}
    assert (second["message"], second["station"], second["api_token"]) == ("with extras", "N-001", "[redacted]")


def test_a_malformed_request_id_is_replaced_by_a_fresh_one(client: Client) -> None:
    offered = 'evil"\n{"level": "ERROR"}'
    response = client.get("/healthz", HTTP_X_REQUEST_ID=offered)
    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32
    assert client.get("/healthz")["X-Request-ID"] != response["X-Request-ID"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-12345", "Authorization: [redacted] [redacted]"),
        ("password=hunter22&next=/admin/", "password=[redacted]&next=/admin/"),
        ('{"password": "two words", "username": "bob"}', '{"password": "[redacted]", "username": "bob"}'),
        ("Cookie: sessionid=s3ss10n; csrftoken=c5rf", "Cookie: [redacted]; csrftoken=[redacted]"),
        ("GET /export?api_key=K123456789 200", "GET /export?api_key=[redacted] 200"),
        ("Invalid token for user bob", "Invalid token for user bob"),
    ],
)
def test_redaction_keeps_prose_and_removes_values(text: str, expected: str) -> None:
    assert redact(text) == expected
