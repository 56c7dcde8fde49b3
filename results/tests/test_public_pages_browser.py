"""The public pages as a browser shows them without JavaScript: no empty live badge, ties marked, in English and
Arabic at a wide and a narrow width (screenshots kept for a person to look at)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from elections.models import Contest, Election, PollingStation
from results.tests.support import enter_sheet
from votetracker.testing import launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SHOTS = "/tmp/vt-shots/public"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_pages_without_javascript_show_no_empty_badge_and_mark_a_tie(
    language: str,
    published: Election,
    station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    live_server,
) -> None:
    enter_sheet(station=station, contest=contest, actor=official, votes=[42, 42], key=new_key())
    paths = {
        "overview": f"/results/{published.slug}/",
        "contest": f"/results/{published.slug}/contest/mayor/",
        "station": f"/results/{published.slug}/station/{station.code}/",
    }
    with launch_chromium() as browser:
        for width, height in ((1366, 900), (360, 780)):
            context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": height})
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            page = context.new_page()
            for name, path in paths.items():
                page.goto(live_server.url + path)
                assert not page.locator("[data-live-status]").is_visible()
                assert "★" not in page.locator('[data-live-part="contest-mayor"], main').first.inner_text()
                page.screenshot(path=f"{SHOTS}/{name}-{language}-{width}.png", full_page=True)
            context.close()


@pytest.mark.parametrize(("language", "words"), [("en", r"\((now|\d+ seconds? ago|\d+ minutes? ago)\)"),
                                                 ("ar", r"\((الآن|قبل .+)\)")])  # fmt: skip
def test_the_update_time_says_how_long_ago_in_the_pages_language(
    language: str, words: str, published: Election, live_server
) -> None:
    with launch_chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}/results/{published.slug}/")
        relative = page.locator("[data-relative-to]")
        relative.wait_for(state="visible")
        assert re.fullmatch(words, relative.inner_text()), relative.inner_text()
        context.close()
