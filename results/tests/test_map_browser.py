"""The results maps in a real browser (Debian's chromium), in English and Arabic, on a desktop and a phone: the page
never scrolls sideways, no two station markers overlap, the district areas are reached with Tab and show where the
focus is, and axe finds nothing to fix on the pages with maps."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Page

from elections.models import Contest, District, Election, PollingStation
from elections.services import import_boundaries
from elections.tests.geojson import collection, feature, polygon, square
from results.tests.support import enter_sheet
from votetracker.testing import SCREENSHOTS, launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = ((1366, 900), (360, 780))
MAX_TABS = 60
MARKER_BOXES = """() => Array.from(document.querySelectorAll('.station-map__markers a')).map(a => {
  const r = a.getBoundingClientRect();
  return {key: a.getAttribute('data-station'), left: r.left, top: r.top, right: r.right, bottom: r.bottom};
})"""
# Browsers draw no outline around a link inside an SVG: an area shows focus by its own outline, in the focus colour.
FOCUSED = """() => {
  const e = document.activeElement;
  const shape = e.querySelector && e.querySelector('use');
  const style = shape ? getComputedStyle(shape) : null;
  const focusColour = getComputedStyle(document.documentElement).getPropertyValue('--colour-focus').trim();
  const probe = document.createElement('span');
  probe.style.color = focusColour;
  document.body.appendChild(probe);
  const wanted = getComputedStyle(probe).color;
  probe.remove();
  return {key: e.getAttribute('data-station') || '', inMap: !!e.closest('.station-map__areas'),
          visible: !!style && style.stroke === wanted && parseFloat(style.strokeWidth) >= 3};
}"""


def place_stations(election: Election) -> None:
    """Thirty more stations in the north: schools of two to four boxes, some schools a street apart."""
    north = District.objects.get(election=election, code="N")
    number = 0
    for school in range(10):
        latitude = 31.955 + (school % 4) * 0.009 + (0.0004 if school in (3, 7) else 0)
        longitude = 35.905 + (school // 4) * 0.015 + (0.0006 if school in (3, 7) else 0)
        for box in range(1, 2 + school % 3 + 1):
            number += 1
            PollingStation.objects.create(
                election=election,
                district=north,
                code=f"N-{100 + number}",
                name=f"School {school}, box {box}",
                name_ar=f"المدرسة {school}، صندوق {box}",
                registered_voters=500,
                latitude=latitude,
                longitude=longitude,
            )
    PollingStation.objects.filter(election=election, code__in=["N-001", "N-002"]).update(
        latitude=31.975, longitude=35.925
    )
    PollingStation.objects.filter(election=election, code="S-001").update(latitude=31.92, longitude=35.92)


def overlaps(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (a["key"], b["key"])
        for a, b in itertools.combinations(boxes, 2)
        if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    ]


def check_page(page: Page, name: str, language: str) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(100)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        assert overlaps(page.evaluate(MARKER_BOXES)) == [], (name, width)
        result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag22aa"]})
        assert result.violations_count == 0, result.generate_report()
        page.screenshot(path=str(SCREENSHOTS / f"map-{name}-{language}-{width}.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_maps_fit_every_width_keep_markers_apart_reach_areas_by_tab_and_pass_axe(
    live_server: Any,
    published: Election,
    station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    language: str,
) -> None:
    place_stations(published)
    outlines = collection(
        feature("N", polygon(square(35.90, 31.95, 0.05))), feature("S", polygon(square(35.90, 31.90, 0.05)))
    )
    import_boundaries(election=published, data=outlines, actor=official)
    enter_sheet(station=station, contest=contest, actor=official, votes=[412, 388], key=new_key())
    enter_sheet(station=south_station, contest=contest, actor=official, votes=[100, 100], key=new_key())
    base = f"{live_server.url}/results/{published.slug}"
    with launch_chromium() as browser:
        context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
        page = context.new_page()
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{base}/contest/mayor/")
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert page.locator(".station-map__areas a").count() == 2
        reached: dict[str, bool] = {}
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused["inMap"]:
                reached[focused["key"]] = focused["visible"]
            if len(reached) == 2:
                break
        assert reached == {"district:N": True, "district:S": True}
        check_page(page, "contest", language)

        page.goto(f"{base}/")
        assert page.locator("#part-map-mayor .station-map__areas a").count() == 2
        check_page(page, "overview", language)

        page.goto(f"{base}/district/N/")
        assert page.locator("#part-district-map-mayor .station-map__markers a").count() >= 5
        assert page.locator("#part-district-map-mayor .station-map__markers text").count() >= 5
        check_page(page, "district", language)
        context.close()
