"""What a person sees on the home page in a real browser: both languages, desktop and phone widths, keyboard only."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import Browser, Page, ViewportSize

from elections.demo import DEMO_ELECTION_SLUG
from elections.models import Election
from elections.services import open_election
from votetracker.testing import SCREENSHOTS, launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 780}
MAX_TABS = 10


@pytest.fixture
def demo_url(live_server: Any) -> str:
    """The live site holding the Riverland demo, seeded as a draft (the demo's only state before an official acts)."""
    call_command("seed_demo", stdout=StringIO())
    return str(live_server.url)


@pytest.fixture
def opened_demo_url(demo_url: str) -> str:
    """The demo election opened for entry by the demo official, so the home page lists it."""
    election = Election.objects.get(slug=DEMO_ELECTION_SLUG)
    open_election(election=election, actor=User.objects.get(username="official"))
    return demo_url


def open_page(browser: Browser, url: str, viewport: ViewportSize) -> Page:
    page = browser.new_context(viewport=viewport, locale="en-GB").new_page()
    page.goto(url)
    return page


def save_screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def assert_no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def assert_no_serious_accessibility_violations(page: Page) -> None:
    violations = Axe().run(page).response["violations"]
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']]}"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == []


def press_tab_until_focused(page: Page, selector: str) -> None:
    """Move the keyboard focus forward until it lands on ``selector``, as someone without a mouse would."""
    target = page.locator(selector)
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with {MAX_TABS} presses of Tab")


def switch_language_with_the_keyboard(page: Page, code: str, screenshot: str | None = None) -> None:
    press_tab_until_focused(page, f'button[name="language"][value="{code}"]')
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused language button shows no focus outline"
    if screenshot:
        save_screenshot(page, screenshot)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def check_home_in_both_languages(page: Page, url: str, size: str) -> None:
    """Read the home page in English, reach the skip link, switch to Arabic and back, all by keyboard."""
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.get_by_role("heading", level=1).inner_text() == "Elections"
    card = page.locator(".election-card")
    assert card.get_by_role("heading", level=2).inner_text() == "Riverland Municipal Election 2026"
    assert card.get_by_text("Open for entry").is_visible()
    assert card.get_by_text("Not published yet").is_visible()
    assert page.get_by_role("link", name="Staff sign-in").get_attribute("href") == "/entry/"
    assert_no_horizontal_scroll(page)
    assert_no_serious_accessibility_violations(page)
    save_screenshot(page, f"home-en-{size}")

    # The skip link is the first stop for the keyboard and shows itself when focused.
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    assert skip_link.evaluate("element => element === document.activeElement")
    box = skip_link.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    save_screenshot(page, f"home-en-{size}-skip-link")

    page.goto(url)
    switch_language_with_the_keyboard(page, "ar", screenshot=f"home-en-{size}-language-focused")
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert page.get_by_role("heading", level=1).inner_text() == "الانتخابات"
    card = page.locator(".election-card")
    assert card.get_by_role("heading", level=2).inner_text() == "انتخابات بلدية ريفرلاند 2026"
    assert card.get_by_text("مفتوحة للإدخال").is_visible()
    assert page.get_by_role("link", name="دخول الطاقم").is_visible()
    assert_no_horizontal_scroll(page)
    assert_no_serious_accessibility_violations(page)
    save_screenshot(page, f"home-ar-{size}")

    switch_language_with_the_keyboard(page, "en")
    assert page.locator("html").get_attribute("lang") == "en"


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_home_reads_well_in_english_and_arabic_switching_by_keyboard(
    opened_demo_url: str, size: str, viewport: ViewportSize
) -> None:
    with launch_chromium() as browser:
        check_home_in_both_languages(open_page(browser, opened_demo_url, viewport), opened_demo_url, size)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_home_before_any_election_opens_shows_an_accessible_empty_state_on_a_phone(
    demo_url: str, language: str
) -> None:
    with launch_chromium() as browser:
        page = open_page(browser, demo_url, PHONE)
        if language == "ar":
            switch_language_with_the_keyboard(page, "ar")
        assert page.locator(".empty-state").is_visible()
        assert page.locator(".election-card").count() == 0
        assert_no_horizontal_scroll(page)
        assert_no_serious_accessibility_violations(page)
        save_screenshot(page, f"home-empty-{language}-phone")
