"""Every entry page passes an automated accessibility check (axe: WCAG 2 A and AA, WCAG 2.2 AA and best practice)
with no violation of any impact, in English and in Arabic, on a desktop and on a phone: the station list and page,
the sheet form (first entry, refused, correction, waiting for review), turnout, the ballot screen, the review queue
and item, the sheet history and the results file page."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Browser, Page

from ballots.tests.support import set_counting, submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from votetracker.testing import SCREENSHOTS, launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = SCREENSHOTS / "entry"
SIZES = {"1366": (1366, 900), "360": (360, 780)}
RULES = {"runOnly": ["wcag2a", "wcag2aa", "wcag22aa", "best-practice"]}


def session_of(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def check(page: Page, name: str, language: str) -> list[str]:
    """The page's violations at each size (as readable reports), after a screenshot of each."""
    reports = []
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SHOTS / f"axe-{name}-{language}-{size}.png", full_page=True)
        result = Axe().run(page, options=RULES)
        if result.violations_count:
            reports.append(f"{name} ({language}, {size}px): {result.generate_report()}")
    return reports


def visit(browser: Browser, base: str, session: str, language: str, pages: dict[str, str]) -> list[str]:
    context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
    context.add_cookies(
        [
            {"name": "sessionid", "value": session, "url": base},
            {"name": "django_language", "value": language, "url": base},
        ]
    )
    page = context.new_page()
    reports = []
    for name, path in pages.items():
        response = page.goto(base + path)
        assert response is not None, (name, path)
        assert response.ok, (name, path)
        reports += check(page, name, language)
        if name == "sheet-first":
            # Refused: 3 + 2 votes do not make 9 ballots cast; the page comes back with its errors.
            for field, value in [("ballots_cast", "9"), ("blank", "0"), ("invalid", "0")]:
                page.fill(f"#id_{field}", value)
            for box in page.locator("input[name^=votes_]").all():
                box.fill("2")
            page.locator("form.entry-form button[type=submit]").click()
            page.wait_for_selector("#form-errors")
            reports += check(page, "sheet-refused", language)
    context.close()
    return reports


@pytest.fixture
def entry_pages(
    official: User, clerk: User, open_vote: Election, station: PollingStation, other_station: PollingStation
) -> dict[str, Any]:
    """A station counted both ways with an accepted sheet, one waiting for review, and another station untouched."""
    set_counting(open_vote, Election.CountingMethod.BOTH)
    mayor = open_vote.contests.get(slug="mayor")
    council = Contest.objects.create(election=open_vote, name="Council", name_ar="المجلس", slug="council")
    for order, (english, arabic) in enumerate([("Lina Saleh", "لينا صالح"), ("Karim Aziz", "كريم عزيز")], start=1):
        Candidate.objects.create(contest=council, name_en=english, name_ar=arabic, ballot_order=order)
    submit_sheet(station=station, contest=mayor, actor=official, key="k-mayor-0001", votes=[3, 2])
    submit_sheet(station=station, contest=council, actor=official, key="k-council-01", votes=[4, 1])
    submit_sheet(station=station, contest=council, actor=clerk, key="k-council-02", votes=[3, 2], reason="Recount")
    one, other = station.pk, other_station.pk
    return {
        "official": {
            "station-list": "/entry/",
            "station": f"/entry/stations/{one}/",
            "sheet-first": f"/entry/stations/{other}/contests/{mayor.pk}/sheet/",
            "sheet-correction": f"/entry/stations/{one}/contests/{mayor.pk}/sheet/",
            "turnout": f"/entry/stations/{one}/turnout/",
            "ballots": f"/entry/stations/{one}/contests/{mayor.pk}/ballots/",
            "review-queue": "/entry/review/",
            "review-item": f"/entry/review/{one}/{council.pk}/",
            "sheet-history": f"/entry/stations/{one}/contests/{mayor.pk}/sheet/history/",
            "results-file": "/entry/results-file/",
        },
        "clerk": {
            "clerk-station": f"/entry/stations/{one}/",
            "clerk-sheet-waiting": f"/entry/stations/{one}/contests/{council.pk}/sheet/",
            "clerk-sheet-correction": f"/entry/stations/{one}/contests/{mayor.pk}/sheet/",
        },
        "sessions": {"official": session_of(official), "clerk": session_of(clerk)},
    }


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_entry_page_has_no_accessibility_violation(
    live_server: Any, entry_pages: dict[str, Any], language: str
) -> None:
    sessions = entry_pages["sessions"]
    with launch_chromium() as browser:
        reports = visit(browser, live_server.url, sessions["official"], language, entry_pages["official"])
        reports += visit(browser, live_server.url, sessions["clerk"], language, entry_pages["clerk"])
    assert reports == [], "\n\n".join(reports)
