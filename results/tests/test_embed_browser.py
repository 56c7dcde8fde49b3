"""The embed card in a real browser (Debian's chromium): inside a news site's iframe when that site is allowed, live,
fitting a phone and a desktop in English and Arabic with no accessibility violation; and a results page that missed
a live update fetches that version from its immutable address instead of reloading."""

from __future__ import annotations

import html
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Page, WebSocketRoute

from elections.models import Contest, Election, PollingStation
from results.services import current_version
from results.tests.support import enter_sheet
from results.tests.test_browser import elsewhere
from votetracker.testing import SCREENSHOTS, launch_chromium
from votetracker.tests.servers import daphne_server, free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIZES = {"desktop": (1366, 900), "phone": (360, 780)}


@contextmanager
def news_site(port: int) -> Iterator[str]:
    """A news site of its own (another origin than the results' server): ``/article?frame=<address>`` is an article
    with that address in an iframe."""

    class Article(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            src = html.escape(parse_qs(urlsplit(self.path).query).get("frame", [""])[0])
            body = (
                "<!DOCTYPE html><html lang='en'><head><title>News</title></head><body><h1>Election night</h1>"
                f"<iframe id='results' src='{src}' width='480' height='600' title='Live results'></iframe>"
                "</body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Article)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # By another host name than the results' server at 127.0.0.1: another origin.
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()


def _article(page: Page, site: str, frame_src: str) -> None:
    page.goto(f"{site}/article?" + urlencode({"frame": frame_src}))


def _framed_card_count(page: Page) -> int:
    frame = page.frame_locator("#results")
    return frame.locator('[data-live-part="contest-mayor"]').count()


def test_an_allowed_site_frames_the_live_card_and_no_other_site_frames_any_page(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enter_sheet(station=other_station, contest=contest, actor=official, votes=[40, 60], key=f"k-{uuid.uuid4()}")
    news_port, elsewhere_port = free_port(), free_port()
    monkeypatch.setenv("EMBED_ALLOWED_ORIGINS", f"http://localhost:{news_port}")
    with (
        news_site(news_port) as news,
        news_site(elsewhere_port) as other_site,
        daphne_server() as base,
        launch_chromium() as browser,
    ):
        card = f"{base}/embed/{published.slug}/mayor/"
        page = browser.new_page()
        _article(page, news, card)
        framed = page.frame_locator("#results")
        framed.locator('[data-live-status][data-state="live"]').wait_for(timeout=10_000)
        assert "311" not in framed.locator('[data-live-part="contest-mayor"]').inner_text()
        elsewhere(
            enter_sheet, station=station, contest=contest, actor=official, votes=[271, 314], key=f"k-{uuid.uuid4()}"
        )
        # The card inside the news site's page follows the results by itself: 271 + 40 for the first candidate.
        framed.locator('[data-live-part="contest-mayor"]', has_text="311").wait_for(timeout=10_000)
        page.screenshot(path=str(SCREENSHOTS / "embed-in-article.png"), full_page=True)

        refused = browser.new_page()
        _article(refused, other_site, card)
        refused.wait_for_timeout(1000)
        assert _framed_card_count(refused) == 0
        # The allowed site may frame the card only, not the site's other pages.
        contest_page = browser.new_page()
        _article(contest_page, news, f"{base}/results/{published.slug}/contest/mayor/")
        contest_page.wait_for_timeout(1000)
        assert _framed_card_count(contest_page) == 0


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_card_fits_a_phone_and_a_desktop_and_passes_axe(
    published: Election, station: PollingStation, contest: Contest, official: User, language: str
) -> None:
    enter_sheet(station=station, contest=contest, actor=official, votes=[412, 287], key=f"k-{uuid.uuid4()}")
    with daphne_server() as base, launch_chromium() as browser:
        page = browser.new_page()
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{base}/embed/{published.slug}/mayor/?lang={language}")
            page.locator('[data-live-status][data-state="live"]').wait_for(timeout=10_000)
            assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{size}: {overflow} px wider than the viewport"
            result = Axe().run(page)
            assert result.violations_count == 0, result.generate_report()
            page.screenshot(path=str(SCREENSHOTS / f"embed-{language}-{size}.png"), full_page=True)


def test_a_page_that_missed_an_update_fetches_that_version_from_its_immutable_address(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
) -> None:
    with daphne_server() as base, launch_chromium() as browser:
        address = f"{base}/results/{published.slug}/"
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        dropped: list[int] = []

        # The network loses the first update the server sends; everything else passes.
        def lossy(socket: WebSocketRoute) -> None:
            server = socket.connect_to_server()

            def forward(message: str | bytes) -> None:
                frame = json.loads(message)
                if frame.get("type") == "update" and not dropped:
                    dropped.append(int(frame["version"]))
                    return
                socket.send(message)

            server.on_message(forward)

        page.route_web_socket("**/ws/results/**", lossy)
        page.goto(address)
        page.locator('[data-live-status][data-state="live"]').wait_for(timeout=10_000)
        elsewhere(
            enter_sheet, station=station, contest=contest, actor=official, votes=[271, 314], key=f"k-{uuid.uuid4()}"
        )
        deadline = time.monotonic() + 10
        while not dropped and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert dropped, "no update reached the page"
        elsewhere(
            enter_sheet, station=other_station, contest=contest, actor=official, votes=[40, 60], key=f"k-{uuid.uuid4()}"
        )
        newest = elsewhere(current_version, election_id=published.pk)
        page.wait_for_function(
            f"() => document.querySelector('[data-results-live]').dataset.version === '{newest}'", timeout=10_000
        )
        assert "311" in page.locator('[data-live-part="contest-mayor"]').inner_text()
        # The page fetched the version it could not apply from that version's own address, and not itself again.
        assert f"{base}/results/{published.slug}/v/{newest}/en.json" in requests
        assert requests.count(address) == 1
