"""The refusal pages in a real browser, in English and Arabic, on a laptop and a small phone: each is in the site's
layout with its language switch, fits the screen, and has no WCAG 2.2 AA violation that axe can find; a wrong
password takes the focus to its message, and a refused clerk can sign in as someone else from the 403 page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page

from votetracker.testing import SCREENSHOTS, launch_chromium

# Playwright's sync API runs an event loop in this thread; Django must still serve the test's own queries.
# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct-horse-battery"
VIEWPORTS = [(1366, 900), (360, 780)]
LANGUAGES = ["en", "ar"]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium


def open_page(browser: Browser, base: str, language: str) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context.new_page()


def assert_fits_and_passes_axe(page: Page, name: str, language: str) -> None:
    """At each width: the layout and its language switch, no sideways scrolling, no axe violation; a screenshot."""
    expected_dir = "rtl" if language == "ar" else "ltr"
    assert page.get_attribute("html", "dir") == expected_dir
    assert page.get_attribute("html", "lang") == language
    assert page.locator("header.site-header .language-switcher form").count() == 1
    assert page.locator("main#main h1").count() == 1
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways at {width} px"
        violations = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag22aa"]})
        assert violations.violations_count == 0, violations.generate_report()
        directory = SCREENSHOTS / "errors"
        directory.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(directory / f"{name}-{language}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def sign_in(page: Page, base: str, username: str, password: str, path: str = "/entry/login/") -> None:
    page.goto(f"{base}{path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.entry-form button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_password_takes_the_focus_to_its_message_and_the_fifth_pauses_sign_in(
    live_server: Any, browser: Browser, language: str
) -> None:
    page = open_page(browser, live_server.url, language)
    # A name of its own per language: the pause of one run must not meet the other.
    username = f"someone-{language}"

    sign_in(page, live_server.url, username, "wrong-guess-0")
    assert page.evaluate("() => document.activeElement.id") == "form-errors"
    assert page.locator("#form-errors").count() == 1
    assert page.locator("#id_username").input_value() == username
    if language == "en":
        assert page.inner_text("#form-errors").strip() == "Wrong username or password. Check both and sign in again."
    assert_fits_and_passes_axe(page, "login-error", language)

    for attempt in range(1, 5):
        sign_in(page, live_server.url, username, f"wrong-guess-{attempt}")
    assert page.locator("main h1").count() == 1
    assert page.locator("#id_password").count() == 0
    assert page.locator(".error-page__notice").inner_text().strip()
    if language == "en":
        assert page.inner_text("main h1") == "Signing in is paused"
        assert "15 minutes" in page.inner_text(".error-page__notice")
    assert_fits_and_passes_axe(page, "sign-in-paused", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_clerk_refused_the_review_queue_sees_where_to_go_and_signs_in_as_someone_else(
    live_server: Any, browser: Browser, language: str, clerk: User, official: User
) -> None:
    page = open_page(browser, live_server.url, language)
    sign_in(page, live_server.url, "clerk", PASSWORD)

    response = page.goto(f"{live_server.url}/entry/review/")
    assert response is not None
    assert response.status == 403
    assert page.locator('main a[href="/entry/"]').count() == 1
    assert page.locator('main a[href="/"]').count() == 1
    assert_fits_and_passes_axe(page, "not-allowed", language)

    if language == "en":
        # The language switch works from the refusal too: the same page again, right to left.
        page.click('.language-switcher button[value="ar"]')
        page.wait_for_load_state()
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.locator("main .error-page__form").count() == 1

    page.click("main .error-page__form button")
    page.wait_for_url("**/entry/login/?next=%2Fentry%2Freview%2F")
    page.fill("#id_username", "official")
    page.fill("#id_password", PASSWORD)
    page.click("form.entry-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/entry/review/")
    assert page.locator(".error-page").count() == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_expired_form_says_nothing_was_recorded(live_server: Any, browser: Browser, language: str) -> None:
    page = open_page(browser, live_server.url, language)
    page.goto(f"{live_server.url}/entry/login/")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    # What a form left open past its token's life sends back.
    page.evaluate("() => { document.querySelector('[name=csrfmiddlewaretoken]').value = 'x'.repeat(64); }")
    page.click("form.entry-form button[type=submit]")
    page.wait_for_load_state()

    assert page.locator(".error-page__notice").count() == 1
    if language == "en":
        assert page.inner_text(".error-page__notice").strip() == "Nothing was recorded."
    assert_fits_and_passes_axe(page, "form-expired", language)
    page.click(".error-page__links .button-link")
    page.wait_for_url(f"{live_server.url}/entry/login/")
    assert page.locator("#id_username").count() == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_missing_failed_and_unavailable_pages_keep_the_layout(
    live_server: Any, browser: Browser, language: str, settings: Any
) -> None:
    # The project's URLs with a view that fails and one that loses the database (see test_error_pages).
    settings.ROOT_URLCONF = "votetracker.tests.test_error_pages"
    page = open_page(browser, live_server.url, language)
    for path, status, name in [
        ("/no-such-page/", 404, "not-found"),
        ("/fail/", 500, "server-error"),
        ("/lose-the-database/", 503, "unavailable"),
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == status
        assert_fits_and_passes_axe(page, name, language)
