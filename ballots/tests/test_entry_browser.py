"""A clerk in a real browser, with the keyboard alone: a 12-candidate tally sheet (refused once, corrected in place)
and 20 ballots on the ballot screen, recorded through the API without a page reload."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page

from ballots.models import Ballot, TallySheet
from elections.models import Candidate, ClerkAssignment, Contest, District, Election, PollingStation
from elections.services import open_election
from votetracker.testing import SCREENSHOTS, launch_chromium

# Playwright's sync API runs an event loop in this thread; Django must still serve the test's own queries.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

VOTES = [9, 8, 7, 6, 5, 5, 4, 4, 3, 3, 2, 1]  # 57 votes over 12 candidates
BLANK, INVALID = 2, 1
MAX_TABS = 60


@pytest.fixture
def twelve_candidates() -> dict[str, Any]:
    """An open election counted both ways, one station with a clerk, and a contest with 12 candidates."""
    official = User.objects.create_user(username="official-b", password="correct-horse-battery", is_staff=True)
    official.groups.add(Group.objects.get(name="Officials"))
    clerk = User.objects.create_user(username="clerk-b", password="correct-horse-battery")
    clerk.groups.add(Group.objects.get(name="Clerks"))
    election = Election.objects.create(
        name="Council 2026", slug="council-2026", date=dt.date(2026, 11, 3), counting_method="both"
    )
    district = District.objects.create(election=election, code="C", name="Centre")
    station = PollingStation.objects.create(
        election=election, district=district, code="C-001", name="Central School", registered_voters=1000
    )
    contest = Contest.objects.create(election=election, name="Council", slug="council")
    for order in range(1, 13):
        Candidate.objects.create(
            contest=contest, name_en=f"Candidate {order:02d}", name_ar=f"مرشح {order}", ballot_order=order
        )
    ClerkAssignment.objects.create(user=clerk, station=station)
    open_election(election=election, actor=official)
    return {"station": station, "contest": contest}


def focused(page: Page) -> dict[str, str]:
    return page.evaluate(
        "() => { const e = document.activeElement; return {name: e.name || '', text: (e.textContent || '').trim(), "
        "tag: e.tagName}; }"
    )


def tab_to(page: Page, *, name: str | None = None, text: str | None = None) -> None:
    """Press Tab until the field called ``name`` or the control reading ``text`` has the focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if (name is not None and now["name"] == name) or (text is not None and now["text"].startswith(text)):
            return
    raise AssertionError(f"Tab never reached {name or text}")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SCREENSHOTS / f"entry-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def type_sheet(page: Page, cast: int) -> None:
    tab_to(page, name="ballots_cast")
    page.keyboard.press("Control+A")
    page.keyboard.type(str(cast))
    for value in [BLANK, INVALID, *VOTES]:
        page.keyboard.press("Tab")
        page.keyboard.press("Control+A")
        page.keyboard.type(str(value))


def test_a_clerk_enters_a_sheet_and_twenty_ballots_with_the_keyboard_alone(
    live_server: Any, twelve_candidates: dict[str, Any]
) -> None:
    station, contest = twelve_candidates["station"], twelve_candidates["contest"]
    cast = sum(VOTES) + BLANK + INVALID
    # Looked up before the browser starts: queries made while its event loop runs get a connection of their own.
    last_candidate = contest.candidates.get(ballot_order=12).pk
    with launch_chromium() as browser:
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
            page.goto(f"{live_server.url}/entry/login/?next=/entry/stations/{station.pk}/")
            page.wait_for_selector("#id_username:focus")
            page.keyboard.type("clerk-b")
            page.keyboard.press("Tab")
            page.keyboard.type("correct-horse-battery")
            page.keyboard.press("Enter")
            page.wait_for_url(f"{live_server.url}/entry/stations/{station.pk}/")

            tab_to(page, text="Enter the tally sheet")
            page.keyboard.press("Enter")
            page.wait_for_url("**/sheet/")
            type_sheet(page, cast + 1)
            page.keyboard.press("Enter")
            page.wait_for_load_state()
            error = page.locator(".field--error", has=page.locator("#id_ballots_cast"))
            assert "must equal ballots cast" in error.inner_text()
            assert page.input_value(f"#id_votes_{last_candidate}") == "1"
            shoot(page, "sheet-error")

            tab_to(page, name="ballots_cast")
            page.keyboard.press("Control+A")
            page.keyboard.type(str(cast))
            page.keyboard.press("Enter")
            page.wait_for_url(f"{live_server.url}/entry/stations/{station.pk}/")
            assert "accepted" in page.inner_text(".entry-messages")

            tab_to(page, text="Enter ballots")
            page.keyboard.press("Enter")
            page.wait_for_url("**/ballots/")
            page.wait_for_load_state("networkidle")
            for i in range(18):
                page.keyboard.press("1234567890"[i % 10])
                page.keyboard.press("Enter")
            tab_to(page, text="Blank")
            page.keyboard.press("Enter")
            tab_to(page, text="Invalid")
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.getElementById('ballot-count').textContent.trim() === '20'")
            assert page.evaluate("localStorage.length === 0 || Object.values(localStorage).every(v => v === '[]')")
            page.keyboard.press("3")
            shoot(page, "ballots")
            page.goto(f"{live_server.url}/entry/stations/{station.pk}/")
            shoot(page, "station")
        finally:
            browser.close()

    assert TallySheet.objects.get(station=station, contest=contest).status == "accepted"
    ballots = Ballot.objects.filter(station=station, contest=contest)
    assert ballots.count() == 20
    assert sorted(ballots.values_list("kind", flat=True)).count("marked") == 18
    assert ballots.filter(kind="blank").count() == ballots.filter(kind="invalid").count() == 1


def test_ballots_entered_during_a_network_drop_are_sent_once_when_it_returns(
    live_server: Any, twelve_candidates: dict[str, Any]
) -> None:
    station, contest = twelve_candidates["station"], twelve_candidates["contest"]
    lost_answers: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        """The server records the ballot, but its answer never reaches the page: the page must resend it."""
        if not lost_answers:
            route.fetch()
            lost_answers.append(route.request.headers.get("idempotency-key", ""))
            route.abort()
        else:
            route.continue_()

    with launch_chromium() as browser:
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            page = context.new_page()
            page.goto(
                f"{live_server.url}/entry/login/?next=/entry/stations/{station.pk}/contests/{contest.pk}/ballots/"
            )
            page.fill("#id_username", "clerk-b")
            page.fill("#id_password", "correct-horse-battery")
            page.keyboard.press("Enter")
            page.wait_for_url("**/ballots/")
            page.wait_for_load_state("networkidle")
            page.route("**/api/v1/entry/ballots", lose_the_first_answer)

            page.keyboard.press("1")
            page.keyboard.press("Enter")
            context.set_offline(True)
            for key in "234":
                page.keyboard.press(key)
                page.keyboard.press("Enter")
            queued = page.evaluate(
                f"JSON.parse(localStorage.getItem('vt-ballot-queue:{station.pk}:{contest.pk}')).length"
            )
            assert queued >= 3
            assert page.is_visible("#ballot-pending")

            context.set_offline(False)
            page.wait_for_function(
                "() => document.getElementById('ballot-count').textContent.trim() === '4'", timeout=20000
            )
            assert page.evaluate(f"localStorage.getItem('vt-ballot-queue:{station.pk}:{contest.pk}')") == "[]"
        finally:
            browser.close()

    assert len(lost_answers) == 1
    ballots = Ballot.objects.filter(station=station, contest=contest)
    assert ballots.count() == 4
    assert ballots.filter(idempotency_key=lost_answers[0]).count() == 1
