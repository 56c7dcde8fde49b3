"""The admin an official uses on their first day, in a real browser (Debian's chromium), in English and Arabic: no
page is wider than a laptop's or a phone's screen, the Arabic header spans the screen, and axe finds nothing to fix."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Page, ViewportSize

from elections.demo import DEMO_ELECTION_SLUG
from elections.models import Contest, Election
from votetracker.testing import SCREENSHOTS, launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LAPTOP: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 780}
AXE_RULES = {"runOnly": ["wcag2a", "wcag2aa", "wcag22aa"]}


@pytest.fixture
def admin_pages(live_server: Any) -> dict[str, str]:
    """The demo elections, and the admin pages an official opens first, by name."""
    call_command("seed_demo", stdout=StringIO())
    # Looked up before the browser starts: queries made while its event loop runs get a connection of their own.
    demo = Election.objects.get(slug=DEMO_ELECTION_SLUG)
    other = Election.objects.exclude(pk=demo.pk).get()
    contest = Contest.objects.filter(election=demo).order_by("position").first()
    assert contest is not None
    return {
        "index": "/admin/",
        "election-list": "/admin/elections/election/",
        "election-change": f"/admin/elections/election/{demo.pk}/change/",
        "election-change-by-type": f"/admin/elections/election/{other.pk}/change/",
        "contest-change": f"/admin/elections/contest/{contest.pk}/change/",
        "station-list": "/admin/elections/pollingstation/",
        "station-import": "/admin/elections/pollingstation/import/",
        "electoral-district-list": "/admin/elections/electoraldistrict/",
    }


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "official")
    page.fill("#id_password", "demo-official-2026")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def page_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_first_day_admin_pages_fit_the_screen_and_pass_axe(
    live_server: Any, admin_pages: dict[str, str], language: str
) -> None:
    base = str(live_server.url)
    problems: list[str] = []
    with launch_chromium() as browser:
        context = browser.new_context(viewport=LAPTOP)
        context.add_cookies([{"name": "django_language", "value": language, "url": base}])
        page = context.new_page()
        sign_in(page, base)
        for name, path in admin_pages.items():
            page.set_viewport_size(LAPTOP)
            page.goto(f"{base}{path}")
            assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
            if overflow := page_overflow(page):
                problems.append(f"{name}: {overflow}px wider than 1366")
            report = Axe().run(page, options=AXE_RULES)
            if report.violations_count:
                problems.append(f"{name}: {report.generate_report()}")
            page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-{language}-1366.png"), full_page=True)
            page.set_viewport_size(PHONE)
            page.goto(f"{base}{path}")
            if overflow := page_overflow(page):
                problems.append(f"{name}: {overflow}px wider than 360")
            page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-{language}-360.png"), full_page=True)
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "360"])
def test_arabic_header_spans_the_whole_screen(
    live_server: Any, admin_pages: dict[str, str], viewport: ViewportSize
) -> None:
    base = str(live_server.url)
    with launch_chromium() as browser:
        context = browser.new_context(viewport=viewport)
        context.add_cookies([{"name": "django_language", "value": "ar", "url": base}])
        page = context.new_page()
        sign_in(page, base)
        for path in (admin_pages["election-change"], admin_pages["election-list"]):
            page.goto(f"{base}{path}")
            # Scrolled as far as the page goes towards its start: a page wider than the screen showed a white band
            # beside the header there.
            page.evaluate("window.scrollTo(-document.documentElement.scrollWidth, 0)")
            header = page.locator("#header").bounding_box()
            assert header is not None
            assert header["x"] <= 0
            assert header["x"] + header["width"] >= viewport["width"]
            assert page_overflow(page) == 0
        context.close()
