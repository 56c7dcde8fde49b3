"""The entry pages in a real browser, as a tired clerk meets them: the focus lands on what went wrong after a refused
form, the review table keeps its words whole on a phone (Arabic letters stay joined), and the ballot screen's keys
record blank and invalid ballots and reach every candidate."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page

from ballots.models import Ballot
from ballots.tests.support import set_counting, submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from votetracker.testing import SCREENSHOTS, launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = SCREENSHOTS / "entry"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1366, "height": 900}

# Whether any word of the element's text is laid out over more than one line: the word broken mid-letter.
BROKEN_WORDS = """(root) => {
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    // A hyphen is a place to break a line, as a space is.
    for (const match of text.matchAll(/[^\\s\\-]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
      const lines = new Set(rects.map((r) => Math.round(r.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""

# The computed styles that break words anywhere, on the element or any inside it.
BREAKING_STYLES = """(root) => Array.from(root.querySelectorAll('*')).concat([root]).filter((e) => {
  const style = getComputedStyle(e);
  return style.wordBreak === 'break-all' || style.overflowWrap === 'anywhere';
}).map((e) => e.tagName + '.' + e.className)"""


def session_of(user: User) -> str:
    """A signed-in session for ``user``, made before the browser starts (see ``launch_chromium``)."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def signed_in(browser: Browser, base: str, session: str, *, language: str = "en", **options: Any) -> BrowserContext:
    context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language}, **options)
    context.add_cookies(
        [
            {"name": "sessionid", "value": session, "url": base},
            {"name": "django_language", "value": language, "url": base},
        ]
    )
    return context


def counted(page: Page, n: int) -> None:
    page.wait_for_function("(n) => document.getElementById('ballot-count').textContent === String(n)", arg=n)


def active(page: Page) -> dict[str, str]:
    return page.evaluate(
        "() => { const e = document.activeElement; return {id: e.id, role: e.getAttribute('role') || '', "
        "tag: e.tagName}; }"
    )


@pytest.mark.parametrize("language", ["en", "ar"])
def test_after_a_refused_sheet_the_keyboard_focus_is_on_the_error_summary(
    live_server: Any, clerk: User, station: PollingStation, contest: Contest, open_vote: Election, language: str
) -> None:
    session = session_of(clerk)
    with launch_chromium() as browser:
        page = signed_in(browser, live_server.url, session, language=language, viewport=DESKTOP).new_page()
        page.goto(f"{live_server.url}/entry/stations/{station.pk}/contests/{contest.pk}/sheet/")
        page.focus("#id_ballots_cast")
        for value in ("9", "0", "0", "3", "2"):  # 3 + 2 votes do not make 9 ballots cast
            page.keyboard.press("Control+A")
            page.keyboard.type(value)
            page.keyboard.press("Tab")
        page.focus("#id_ballots_cast")
        page.keyboard.press("Enter")
        page.wait_for_selector("#form-errors")
        assert active(page) == {"id": "form-errors", "role": "alert", "tag": "DIV"}
        # From the summary, the first link leads to the box at fault.
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#id_ballots_cast"
        page.screenshot(path=SHOTS / f"sheet-refused-{language}-1366.png", full_page=True)


def test_after_a_refused_turnout_the_keyboard_focus_is_on_the_error_summary(
    live_server: Any, clerk: User, station: PollingStation, open_vote: Election
) -> None:
    session = session_of(clerk)
    with launch_chromium() as browser:
        page = signed_in(browser, live_server.url, session, viewport=PHONE).new_page()
        page.goto(f"{live_server.url}/entry/stations/{station.pk}/turnout/")
        page.focus("#id_voters")
        page.keyboard.type("99999")  # more than the 800 registered voters
        page.keyboard.press("Enter")
        page.wait_for_selector("#form-errors")
        assert active(page)["id"] == "form-errors"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_review_table_keeps_its_words_whole_on_a_phone_and_scrolls_in_its_own_box(
    live_server: Any,
    clerk: User,
    north_supervisor: User,
    station: PollingStation,
    contest: Contest,
    open_vote: Election,
    language: str,
) -> None:
    for order, (english, arabic) in enumerate(
        [
            ("Bartholomew Featherstonehaugh-Cholmondeley", "عبدالرحمنالمختلفالمستقلين"),
            ("Maximiliana Wolfeschlegel", "مختلف"),
        ],
        start=3,
    ):
        Candidate.objects.create(contest=contest, name_en=english, name_ar=arabic, ballot_order=order)
    submit_sheet(station=station, contest=contest, actor=north_supervisor, key="k-accepted-01", votes=[3, 2, 1, 1])
    submit_sheet(
        station=station, contest=contest, actor=clerk, key="k-correct-001", votes=[2, 3, 1, 1], reason="Recounted"
    )
    session = session_of(north_supervisor)
    with launch_chromium() as browser:
        page = signed_in(browser, live_server.url, session, language=language, viewport=PHONE).new_page()
        page.goto(f"{live_server.url}/entry/review/{station.pk}/{contest.pk}/")
        table = page.locator(".review-table")
        assert table.evaluate(BREAKING_STYLES) == []
        assert table.evaluate(BROKEN_WORDS) == []
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        box = page.locator(".table-scroll")
        assert box.evaluate("(e) => e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX === 'auto'")
        page.screenshot(path=SHOTS / f"review-{language}-360.png", full_page=True)


def test_the_ballot_screen_records_blank_and_invalid_by_key_and_reaches_the_eleventh_candidate(
    live_server: Any, clerk: User, station: PollingStation, contest: Contest, open_vote: Election
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    for order in range(3, 13):
        Candidate.objects.create(contest=contest, name_en=f"Candidate {order}", ballot_order=order)
    eleventh = contest.candidates.get(ballot_order=11).pk
    session = session_of(clerk)
    with launch_chromium() as browser:
        page = signed_in(browser, live_server.url, session, viewport=DESKTOP).new_page()
        page.goto(f"{live_server.url}/entry/stations/{station.pk}/contests/{contest.pk}/ballots/")
        page.wait_for_selector("#ballot-form input[name=marks]:focus")
        page.keyboard.press("b")
        counted(page, 1)
        page.keyboard.press("i")
        counted(page, 2)
        for _ in range(10):  # from the first candidate down to the eleventh, which has no key of its own
            page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.value") == str(eleventh)
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        counted(page, 3)
        page.screenshot(path=SHOTS / "ballots-keys-en-1366.png", full_page=True)
    kinds = list(Ballot.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["blank", "invalid", "marked"]
    assert list(Ballot.objects.get(kind="marked").marks.values_list("candidate_id", flat=True)) == [eleventh]


def test_the_sheet_says_as_it_is_typed_whether_it_adds_up_to_the_ballots_cast(
    live_server: Any, clerk: User, station: PollingStation, contest: Contest, open_vote: Election
) -> None:
    first, second = contest.candidates.order_by("ballot_order").values_list("pk", flat=True)
    session = session_of(clerk)
    with launch_chromium() as browser:
        page = signed_in(browser, live_server.url, session, viewport=PHONE).new_page()
        page.goto(f"{live_server.url}/entry/stations/{station.pk}/contests/{contest.pk}/sheet/")
        check = page.locator("[data-sheet-check]")
        assert check.is_hidden()  # nothing to say before ballots cast is typed
        for field, value in [("ballots_cast", "6"), ("blank", "0"), ("invalid", "1"), (f"votes_{first}", "3")]:
            page.fill(f"#id_{field}", value)
        page.fill(f"#id_votes_{second}", "1")
        assert check.inner_text() == "Does not add up yet: votes and the other counts make 5; ballots cast is 6."
        page.fill(f"#id_votes_{second}", "2")
        assert check.inner_text() == "Adds up: votes and the other counts make 6, as many as the ballots cast."
        page.screenshot(path=SHOTS / "sheet-adds-up-en-360.png", full_page=True)
