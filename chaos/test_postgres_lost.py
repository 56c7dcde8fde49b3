"""PostgreSQL stops during entry: the API answers 503 in its error shape, the entry forms a 503 "try again" page
(never a 500), /readyz names the database, and entry resumes when PostgreSQL returns, without restarting the app."""

from __future__ import annotations

import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from chaos.checks import find_losses, verify_audit
from chaos.clerks import Outcome, get_json, post_json, send_entry
from chaos.clerks import sheet_body as plan_sheet
from chaos.conftest import Stack
from chaos.instances import app_server

# The pool waits this long for a connection before giving up (votetracker.config).
POOL_TIMEOUT = 10
RECOVERY_SECONDS = 30


class Browser:
    """A signed-in staff member's browser: the session and CSRF cookies, no redirects followed."""

    def __init__(self, base: str, session_key: str) -> None:
        self.base = base
        self.cookies = {"sessionid": session_key}

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(f"{self.base}{path}", data=data, headers={"Cookie": cookie})  # noqa: S310
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                status, body, headers = response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            status, body, headers = error.code, error.read().decode(), error.headers
        for header in headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, body


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match is not None, f"no {name} in the form"
    return match.group(1)


def test_entry_survives_postgres_outage_without_app_restart(stack: Stack, tmp_path: Path) -> None:
    prepared = stack.prepared
    clerk = prepared.clerks[0]
    council = prepared.contests[1]
    headers = {"Authorization": f"Bearer {clerk.token}"}
    with app_server(stack.env, log=tmp_path / "app.log") as app:
        before = send_entry(
            [app.base], token=clerk.token, path="tally-sheets", body=plan_sheet(clerk, council, _rng()),
            key="pg-lost:before", deadline=time.monotonic() + 30,
        )  # fmt: skip
        assert before.status == 201
        browser = Browser(app.base, prepared.session_key)
        turnout_path = f"/entry/stations/{clerk.station_id}/turnout/"
        status, page = browser.request(turnout_path)
        assert status == 200
        form = {
            "csrfmiddlewaretoken": hidden_value(page, "csrfmiddlewaretoken"),
            "idempotency_key": hidden_value(page, "idempotency_key"),
            "voters": "120",
        }
        during = plan_sheet(clerk, prepared.contests[0], _rng())
        prepared.postgres.stop()
        try:
            started = time.monotonic()
            url = f"{app.base}/api/v1/entry/tally-sheets"
            status, answer = post_json(url, during, headers={**headers, "Idempotency-Key": "pg-lost:during"})
            assert time.monotonic() - started < POOL_TIMEOUT + 5
            assert status == 503
            assert set(answer) == {"error"}
            assert set(answer["error"]) == {"code", "message", "details"}
            assert answer["error"]["code"] == "service_unavailable"

            status, page = browser.request(turnout_path, form)
            assert status == 503
            assert "try again" in page.lower()
            status, page = browser.request(turnout_path)
            assert status == 503
            assert "try again" in page.lower()

            status, ready = get_json(f"{app.base}/readyz")
            assert status == 503
            assert ready["checks"] == {"database": "down", "redis": "ok"}
            assert "database" in ready["down"]
            assert get_json(f"{app.base}/healthz") == (200, {"status": "ok"})
        finally:
            prepared.postgres.start()
            restarted = time.monotonic()

        # The same requests, sent again as the client would, go through on the same app process.
        resumed = send_entry(
            [app.base], token=clerk.token, path="tally-sheets", body=during, key="pg-lost:during",
            deadline=time.monotonic() + RECOVERY_SECONDS,
        )  # fmt: skip
        if resumed.status != 201:
            print(prepared.postgres.log_tail())
        assert resumed.status == 201, resumed
        print(f"entry resumed {time.monotonic() - restarted:.1f} s after PostgreSQL restarted")
        status, _page = browser.request(turnout_path, form)
        assert status == 302
        assert app.process is not None
        assert app.process.poll() is None, "the app process was restarted or died"
        status, ready = get_json(f"{app.base}/readyz")
        assert (status, ready["status"]) == (200, "ok")

        turnout = Outcome(key=form["idempotency_key"], path="turnout", body={}, status=201)
        assert find_losses(stack.database_url, [before, resumed, turnout]) == []
        assert "chain intact" in verify_audit(stack.env)


def _rng() -> random.Random:
    return random.Random(7)  # noqa: S311 - made-up votes
