"""A results page used with the keyboard alone: every link is reached with Tab and shows where the focus is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from elections.models import Contest, Election, PollingStation
from results.tests.support import enter_sheet
from votetracker.testing import launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MAX_TABS = 80
FOCUS_STATE = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  return {tag: e.tagName, href: e.getAttribute('href') || '', text: (e.textContent || '').trim().slice(0, 60),
          visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 || style.boxShadow !== 'none'};
}"""


def test_every_link_of_the_overview_is_reached_by_keyboard_with_a_visible_focus(
    live_server: Any,
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    enter_sheet(station=station, contest=contest, actor=official, votes=[40, 60], key=new_key())
    url = f"{live_server.url}/results/{published.slug}/"
    with launch_chromium() as browser:
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
            page.goto(url)
            links = set(page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))"))
            reached: set[str] = set()
            invisible: list[dict[str, Any]] = []
            for _ in range(MAX_TABS):
                page.keyboard.press("Tab")
                state = page.evaluate(FOCUS_STATE)
                if state["tag"] == "BODY":
                    break
                reached.add(state["href"])
                if not state["visible"]:
                    invisible.append(state)
        finally:
            browser.close()
    assert links, "the overview should have links"
    assert links <= reached, f"never reached with Tab: {sorted(links - reached)}"
    assert invisible == [], invisible
