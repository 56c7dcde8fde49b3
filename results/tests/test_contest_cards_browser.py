"""Contest cards in a browser (Debian's chromium) at 1366×900 and 360×780, in English and Arabic: the margin, "Leading"
until a live update makes the outcome certain and "Elected" only then, a tie marked as a tie, the changed figures
highlighted (a still mark, no animation, when reduced motion is asked for) and read out in the one live region, no
page wider than the screen, and no axe violation.

The page is the server's own HTML of one version and the update is the frame the server builds for the next one
(``results.frames.language_frame``), handed to the page's live channel by the browser itself: so the database stays
still while the browser runs, in either mode. The channel end to end is covered by ``test_browser.py``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from playwright.sync_api import Browser, Locator, Page, WebSocketRoute

from elections.models import Candidate, Contest, Election, PollingStation
from results.frames import language_frame
from results.services import rebuild_snapshot
from results.tests.support import enter_sheet
from votetracker.testing import SCREENSHOTS, launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = ((1366, 900), (360, 780))
MAYOR = '[data-live-part="contest-mayor"]'
COUNCIL = '[data-live-part="contest-council"]'


class Versions:
    """The overview's HTML at the first version and the frame that takes a page from it to the second, per language."""

    def __init__(self) -> None:
        self.html: dict[str, str] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.hello: dict[str, Any] = {}
        self.frame: dict[str, str] = {}


@pytest.fixture
def versions(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> Versions:
    """First version: the mayor's race counted at one station (Amal Haddad 300, Omar Nasser 100: leading, since
    899 votes are still out) and a council race tied for its last seat. Second version: a second station in, a margin
    of 250 with 249 votes still out at the last station: Amal Haddad is elected."""
    PollingStation.objects.filter(pk=south_station.pk).update(registered_voters=249)
    council = Contest.objects.create(election=published, name="Council", slug="council", seats=2, max_choices=2)
    for order, (name, name_ar) in enumerate([("Rana", "رنا"), ("Sami", "سامي"), ("Tala", "تالا")], start=1):
        Candidate.objects.create(contest=council, name_en=name, name_ar=name_ar, ballot_order=order)
    versions = Versions()
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[300, 100], key=new_key())
        enter_sheet(station=station, contest=council, actor=official, votes=[50, 30, 30], cast=60, key=new_key())
    first = rebuild_snapshot(election=published)
    states = {}
    for language in ("en", "ar"):
        response = Client().get(f"/results/{published.slug}/", headers={"accept-language": language})
        versions.html[language] = response.content.decode()
        versions.headers[language] = {"content-type": response["Content-Type"]}
        with translation.override(language):
            _frame, states[language] = language_frame(first, {})
    versions.hello = {"type": "hello", "version": first["version"], "ack_every": 8}
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=other_station, contest=contest, actor=official, votes=[200, 150], key=new_key())
    second = rebuild_snapshot(election=published)
    for language in ("en", "ar"):
        with translation.override(language):
            frame, _state = language_frame(second, states[language])
        versions.frame[language] = json.dumps(frame, ensure_ascii=False)
    return versions


def open_page(
    browser: Browser, base: str, path: str, versions: Versions, language: str, size: tuple[int, int], **options: Any
) -> tuple[Page, list[WebSocketRoute]]:
    """The overview as first served, its live channel answered by the test: greeted at the first version."""
    context = browser.new_context(locale=language, viewport={"width": size[0], "height": size[1]}, **options)
    page = context.new_page()
    page.route(
        base + path,
        lambda route: route.fulfill(status=200, headers=versions.headers[language], body=versions.html[language]),
    )
    channels: list[WebSocketRoute] = []

    def greet(socket: WebSocketRoute) -> None:
        channels.append(socket)
        socket.send(json.dumps(versions.hello))

    page.route_web_socket("**/ws/results/**", greet)
    page.goto(base + path)
    page.locator('[data-live-status][data-state="live"]').wait_for(timeout=10_000)
    return page, channels


def words(locator: Locator) -> str:
    """What a reader sees of ``locator``, without the invisible marks that isolate names."""
    return locator.inner_text().replace("\u2068", "").replace("\u2069", "").strip()


def fits(page: Page) -> bool:
    widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    return bool(widths[0] <= widths[1])


def no_axe_violation(page: Page) -> None:
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag22aa"]})
    assert result.violations_count == 0, result.generate_report()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_card_turns_from_leading_to_elected_only_with_the_deciding_update_and_highlights_what_changed(
    language: str, versions: Versions, published: Election, live_server: Any
) -> None:
    path = f"/results/{published.slug}/"
    with launch_chromium() as browser:
        for size in SIZES:
            page, channels = open_page(browser, live_server.url, path, versions, language, size)
            mayor, council = page.locator(MAYOR), page.locator(COUNCIL)
            lead = mayor.locator(".standing__lead")
            assert "standing__lead--leading" in (lead.get_attribute("class") or "")
            assert mayor.locator(".call--elected").count() == 0
            assert mayor.locator(".standing__margin").is_visible()
            # The council's last seat is tied: marked as a tie, with no star and no margin.
            assert council.locator(".standing__tie .tag--tied").is_visible()
            assert council.locator(".standing__margin").count() == 0
            assert council.locator("tr.is-tied").count() == 2
            assert "★" not in "".join(council.locator("tr.is-tied").all_inner_texts())
            if language == "en":
                assert words(lead) == "Leading: Amal Haddad · Green League"
                assert words(mayor.locator(".standing__margin")) == (
                    "Margin: 200 votes (50.0 percentage points) over Omar Nasser"
                )
                assert words(council.locator(".standing__tie")) == "Tied for the last seat: Sami, Tala"
            assert fits(page), size
            no_axe_violation(page)

            channels[0].send(versions.frame[language])
            mayor.locator(".standing__lead--elected").wait_for(timeout=5_000)
            # Both candidates' rows and bars, the lead, the margin and the facts that changed.
            assert mayor.locator("tr.is-changed").count() == 2
            assert mayor.locator(".bars__row.is-changed").count() == 2
            assert mayor.locator(".standing__lead.is-changed, .standing__margin.is-changed").count() == 2
            assert mayor.locator(".facts__item.is-changed").count() >= 4
            assert page.evaluate("document.getAnimations().length") > 0
            assert council.locator(".is-changed").count() == 0  # untouched by the update
            news = page.locator("[data-live-news]")
            news.wait_for(state="attached")
            page.wait_for_function("() => document.querySelector('[data-live-news]').textContent.length > 0")
            spoken = (news.text_content() or "").replace("\u2068", "").replace("\u2069", "")
            assert ("Amal Haddad" if language == "en" else "أمل حداد") in spoken
            assert page.locator('[role="status"][aria-live]').count() == 1  # one live region, not a second
            if language == "en":
                assert words(mayor.locator(".standing__lead")) == "✓ Elected: Amal Haddad · Green League"
                assert words(mayor.locator(".standing__margin")) == (
                    "Margin: 250 votes (33.3 percentage points) over Omar Nasser"
                )
                assert "Elected: Amal Haddad. Margin: 250 votes. 2 of 3 stations reporting." in spoken
            assert fits(page), size
            page.screenshot(path=str(SCREENSHOTS / f"cards-updated-{language}-{size[0]}.png"), full_page=True)
            no_axe_violation(page)
            page.context.close()


def test_with_reduced_motion_an_update_marks_what_changed_without_any_animation(
    versions: Versions, published: Election, live_server: Any
) -> None:
    path = f"/results/{published.slug}/"
    with launch_chromium() as browser:
        page, channels = open_page(browser, live_server.url, path, versions, "en", SIZES[0], reduced_motion="reduce")
        channels[0].send(versions.frame["en"])
        mayor = page.locator(MAYOR)
        mayor.locator(".standing__lead--elected").wait_for(timeout=5_000)
        assert mayor.locator(".is-changed").count() >= 5
        assert page.evaluate("document.getAnimations().length") == 0
        marks = mayor.locator(".is-changed").evaluate_all(
            "els => els.map(e => getComputedStyle(e.tagName === 'TR' ? e.firstElementChild : e).boxShadow)"
        )
        assert all(mark != "none" for mark in marks), marks
        page.context.close()


def test_without_javascript_the_cards_show_the_current_standing_and_no_empty_box(
    versions: Versions, published: Election, live_server: Any
) -> None:
    with launch_chromium() as browser:
        context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 780})
        page = context.new_page()
        page.goto(f"{live_server.url}/results/{published.slug}/")
        assert not page.locator("[data-live-status]").is_visible()
        assert words(page.locator(MAYOR).locator(".standing__lead")) == "✓ Elected: Amal Haddad · Green League"
        assert fits(page)
        context.close()
