"""What a viewer sees in a real browser (Debian's chromium): the page updates by itself when an entry lands, in
English and Arabic, and without JavaScript it still shows the current results."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.db import connections
from playwright.sync_api import Page

from elections.models import Contest, Election, PollingStation
from results.consumers import ACK_EVERY, MAX_UNACKNOWLEDGED
from results.services import current_version, refresh_tallies
from results.tests.support import enter_sheet
from votetracker.testing import SCREENSHOTS, launch_chromium
from votetracker.tests.servers import daphne_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def elsewhere(function: Callable[..., Any], **kwargs: Any) -> Any:
    """Run ``function`` in a thread of its own, as a web request would: this thread runs Playwright's event loop."""
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(function(**kwargs))
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=30)
    return results[0] if results else None


def enter_elsewhere(**kwargs: Any) -> None:
    elsewhere(enter_sheet, **kwargs)


def part_text(page: Page) -> str:
    return page.locator('[data-live-part="contest-mayor"]').inner_text()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_results_page_updates_without_reload_and_reads_without_javascript(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    language: str,
) -> None:
    for index, placed in enumerate(PollingStation.objects.filter(election=published).order_by("code")):
        PollingStation.objects.filter(pk=placed.pk).update(latitude=31.9 + index / 100, longitude=35.9 + index / 50)
    enter_sheet(station=other_station, contest=contest, actor=official, votes=[40, 60], key=f"key-{uuid.uuid4()}")
    with daphne_server() as base, launch_chromium() as browser:
        try:
            context = browser.new_context(
                locale=language,
                extra_http_headers={"Accept-Language": language},
                viewport={"width": 1280, "height": 900},
            )
            page = context.new_page()
            page.goto(f"{base}/results/{published.slug}/")
            assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
            page.locator('[data-live-status][data-state="live"]').wait_for(timeout=10_000)
            page.evaluate("window.notReloaded = true")
            assert "271" not in part_text(page)
            dot = page.locator(f'[data-live-part="map-mayor"] [data-station="{station.code}"]')
            assert dot.get_attribute("fill") == "none"
            page.evaluate("document.querySelector('[data-live-part=\"map-mayor\"]').dataset.kept = 'yes'")

            enter_elsewhere(station=station, contest=contest, actor=official, votes=[271, 314], key=f"k-{uuid.uuid4()}")
            page.wait_for_function(
                "() => document.querySelector('[data-live-part=\"contest-mayor\"]').innerText.includes('311')",
                timeout=5_000,
            )
            assert page.evaluate("window.notReloaded") is True
            # The map took the station's new colour and label from the frame's data, in place.
            dot.and_(page.locator(".station-map__dot--reported")).wait_for(timeout=5_000)
            assert dot.get_attribute("fill") != "none"
            assert page.locator('[data-live-part="map-mayor"][data-kept="yes"]').count() == 1
            violations = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag22aa"]})
            assert violations.violations_count == 0, violations.generate_report()
            page.screenshot(path=str(SCREENSHOTS / f"results-{language}-1280.png"), full_page=True)
            page.set_viewport_size({"width": 360, "height": 780})
            page.screenshot(path=str(SCREENSHOTS / f"results-{language}-360.png"), full_page=True)
            context.close()

            static = browser.new_context(
                java_script_enabled=False, locale=language, extra_http_headers={"Accept-Language": language}
            )
            page = static.new_page()
            page.goto(f"{base}/results/{published.slug}/")
            assert "311" in part_text(page)  # 271 + 40, served without any script
            static.close()
        finally:
            browser.close()


def test_the_page_keeps_its_one_connection_through_many_updates_acknowledging_as_often_as_asked(
    published: Election,
) -> None:
    updates = 3 * MAX_UNACKNOWLEDGED
    with daphne_server() as base, launch_chromium() as browser:
        try:
            page = browser.new_page()
            sockets: list[Any] = []
            acknowledgements: list[dict[str, Any]] = []

            def watch(socket: Any) -> None:
                sockets.append(socket)
                socket.on("framesent", lambda payload: acknowledgements.append(json.loads(payload)))

            page.on("websocket", watch)
            page.goto(f"{base}/results/{published.slug}/")
            page.locator('[data-live-status][data-state="live"]').wait_for(timeout=10_000)
            for _ in range(updates):
                elsewhere(refresh_tallies, election_id=published.pk)
                newest = elsewhere(current_version, election_id=published.pk)
                page.wait_for_function(
                    f"() => document.querySelector('[data-results-live]').dataset.version === '{newest}'",
                    timeout=5_000,
                )
            # One connection throughout (a viewer taken for a slow one would have been closed and reconnected), and
            # an acknowledgement for every ACK_EVERY-th update, naming it.
            assert len(sockets) == 1
            assert len(acknowledgements) == updates // ACK_EVERY
            assert [each["ack"] for each in acknowledgements] == sorted({each["ack"] for each in acknowledgements})
        finally:
            browser.close()


def test_a_page_whose_reload_fails_tries_again_and_catches_up(published: Election, station: PollingStation) -> None:
    """A station page takes no part from a frame, so each update makes it reload; the first reload fails (a server
    restarting), and the page tries again by itself instead of staying behind until some later update."""
    path = f"/results/{published.slug}/station/{station.code}/"
    with daphne_server() as base, launch_chromium() as browser:
        try:
            page = browser.new_page()
            page.goto(base + path)
            page.locator('[data-live-status][data-state="live"]').wait_for(timeout=10_000)
            reloads: list[str] = []

            def fail_the_first(route: Any) -> None:
                reloads.append(route.request.url)
                if len(reloads) == 1:
                    route.abort("connectionreset")
                else:
                    route.continue_()

            page.route(base + path, fail_the_first)
            elsewhere(refresh_tallies, election_id=published.pk)
            newest = elsewhere(current_version, election_id=published.pk)
            page.wait_for_function(
                f"() => document.querySelector('[data-results-live]').dataset.version === '{newest}'", timeout=10_000
            )
            assert len(reloads) == 2
        finally:
            browser.close()
