"""The vote-type grid of a tally sheet in a real browser, with the keyboard alone: the totals add up as the clerk
types, a refused sheet comes back with the message beside the box, and the page passes an accessibility check in
English and in Arabic (right to left), on a desktop and on a phone."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Page

from ballots.models import TallySheet
from ballots.tests.shapes import build_shapes
from votetracker.testing import SCREENSHOTS, launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = {"desktop": (1366, 900), "phone": (360, 780)}
# Per candidate in ballot order (election day, by mail): Dana 10 + 4, Rob 7 + 2, the write-in line 1 + 0.
SPLITS = [(10, 4), (7, 2), (1, 0)]


def shoot(page: Page, name: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SCREENSHOTS / f"entry-{name}-{size}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def assert_accessible(page: Page) -> None:
    for width, height in SIZES.values():
        page.set_viewport_size({"width": width, "height": height})
        result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag22aa"]})
        assert result.violations_count == 0, result.generate_report()
    page.set_viewport_size({"width": 1366, "height": 900})


def type_grid(page: Page, cast: int) -> None:
    """Ballots cast, undervotes 2, overvotes 1, then the grid row by row, moving with Tab only."""
    page.focus("#id_ballots_cast")
    page.keyboard.type(str(cast))
    for value in (2, 1, *(n for split in SPLITS for n in split)):
        page.keyboard.press("Tab")
        page.keyboard.press("Control+A")
        page.keyboard.type(str(value))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_clerk_types_the_grid_sees_the_totals_add_up_and_corrects_a_refused_sheet(
    live_server: Any, official: User, language: str
) -> None:
    shapes = build_shapes(official=official)
    url = f"{live_server.url}/entry/stations/{shapes.known.pk}/contests/{shapes.executive.pk}/sheet/"
    cast = sum(map(sum, SPLITS)) + 3
    with launch_chromium() as browser:
        try:
            context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
            page = context.new_page()
            page.set_viewport_size({"width": 1366, "height": 900})
            page.goto(f"{live_server.url}/entry/login/?next={url}")
            page.fill("#id_username", "vale-clerk")
            page.fill("#id_password", "correct-horse-battery")
            page.keyboard.press("Enter")
            page.wait_for_url(url)
            assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")

            type_grid(page, cast + 5)
            assert page.inner_text('output[data-total-row="0"]') == "14"
            assert page.inner_text('output[data-total-column="1"]') == "6"
            assert page.inner_text('output[data-total-column="all"]') == "24"
            with page.expect_navigation():
                page.keyboard.press("Enter")
            shoot(page, f"grid-error-{language}")
            error = page.locator(".field--error", has=page.locator("#id_ballots_cast"))
            assert error.count() == 1
            # What was typed, and its totals, are back without a keystroke.
            assert page.inner_text('output[data-total-column="all"]') == "24"
            assert_accessible(page)

            page.focus("#id_ballots_cast")
            page.keyboard.press("Control+A")
            page.keyboard.type(str(cast))
            page.keyboard.press("Enter")
            page.wait_for_url(f"{live_server.url}/entry/stations/{shapes.known.pk}/")
            context.close()
        finally:
            browser.close()
    assert TallySheet.objects.get(contest=shapes.executive).status == "accepted"


def test_the_measure_sheet_reads_as_its_question(live_server: Any, official: User) -> None:
    shapes = build_shapes(official=official)
    url = f"{live_server.url}/entry/stations/{shapes.known.pk}/contests/{shapes.measure.pk}/sheet/"
    with launch_chromium() as browser:
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{live_server.url}/entry/login/?next={url}")
            page.fill("#id_username", "vale-clerk")
            page.fill("#id_password", "correct-horse-battery")
            page.keyboard.press("Enter")
            page.wait_for_url(url)
            assert "Question 1: Parks Levy" in page.inner_text(".measure-question")
            assert_accessible(page)
            shoot(page, "measure-sheet")
        finally:
            browser.close()
