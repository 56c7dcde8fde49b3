"""A page that is behind the server when its live connection opens (its connection dropped, and the results moved on
meanwhile) is brought up to date by the catch-up frame over its socket, in a real browser, without fetching the page
again."""

from __future__ import annotations

import time
import uuid

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Request, WebSocketRoute

from elections.models import Contest, Election, PollingStation
from results.services import current_version
from results.tests.support import enter_sheet
from results.tests.test_browser import elsewhere
from votetracker.testing import launch_chromium
from votetracker.tests.servers import daphne_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_page_behind_the_hello_is_caught_up_over_the_socket_without_a_reload(
    published: Election, station: PollingStation, other_station: PollingStation, contest: Contest, official: User
) -> None:
    enter_sheet(station=other_station, contest=contest, actor=official, votes=[40, 60], key=f"k-{uuid.uuid4()}")
    held = current_version(election_id=published.pk)
    with daphne_server() as base, launch_chromium() as browser:
        address = f"{base}/results/{published.slug}/"
        page = browser.new_page()
        documents: list[str] = []
        page.on("request", lambda request: documents.append(request.url) if _is_page(request, address) else None)
        # The page's live connection is cut until the results have moved on: the network dropped.
        cut: list[str] = []
        reconnected = {"allowed": False}

        def network(socket: WebSocketRoute) -> None:
            if reconnected["allowed"]:
                socket.connect_to_server()
            else:
                cut.append(socket.url)
                socket.close(code=4000)

        page.route_web_socket("**/ws/results/**", network)
        page.goto(address)
        assert page.locator("[data-results-live]").get_attribute("data-version") == str(held)
        deadline = time.monotonic() + 10
        while not cut and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert cut, "the page never opened its live connection"
        # 271 more votes at another station while the page is disconnected.
        elsewhere(
            enter_sheet, station=station, contest=contest, actor=official, votes=[271, 314], key=f"k-{uuid.uuid4()}"
        )
        newest = elsewhere(current_version, election_id=published.pk)
        assert newest > held
        reconnected["allowed"] = True
        page.wait_for_function(
            f"() => document.querySelector('[data-results-live]').dataset.version === '{newest}'", timeout=20_000
        )
        assert "311" in page.locator('[data-live-part="contest-mayor"]').inner_text()  # 271 + 40
        # The page was fetched once, to load it: the update came over the socket, not by a reload.
        assert documents == [address]
        assert f"version={held}" in cut[0]


def _is_page(request: Request, address: str) -> bool:
    return request.url == address
