"""The public pages in a browser at 1366×900 and 360×780, English and Arabic: no page wider than the screen, wide
tables scrolling in their own box with a cue, sortable station tables (links without JavaScript, buttons with it),
a filter box, "find my polling station" with and without JavaScript, and no axe violation of any impact."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page

from ballots.models import TallySheet
from ballots.services import quarantine_sheet
from elections.models import Candidate, Contest, District, Election, PollingStation
from elections.services import open_election, publish_results
from results.tests.support import enter_sheet
from votetracker.testing import SCREENSHOTS, launch_chromium

# What a page looks like and how it answers the keyboard does not depend on the mode: checked once.
pytestmark = [pytest.mark.browser, pytest.mark.once, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = {"desktop": (1366, 900), "phone": (360, 780)}
HALLS = 16
CANDIDATES = [
    ("Walid Abdel-Rahman Al-Tamimi", "وليد عبد الرحمن التميمي"),
    ("Samira Khalil Al-Shami", "سميرة خليل الشامي"),
    ("Abeer Mahmoud Al-Zoubi", "عبير محمود الزعبي"),
    ("Majed Youssef Yaseen", "ماجد يوسف ياسين"),
    ("Karim Fawzi Zaher", "كريم فوزي زاهر"),
    ("Lina Haddad-Mansour", "لينا حداد منصور"),
    ("Nour Al-Din Qasem", "نور الدين قاسم"),
    ("Hala Omar Nimri", "هالة عمر النمري"),
    ("Dina Azzam Barakat", "دينا عزام بركات"),
]


@pytest.fixture
def city(election: Election, official: User, new_key: Callable[[], str]) -> Election:
    """The shared election with a district of halls (Arabic names too), a council race of nine candidates whose
    station table is wider than any screen, most stations in, one quarantined and one tied; published."""
    PollingStation.objects.filter(code="N-001").update(name_ar="مدرسة الشمال")
    central = District.objects.create(election=election, code="C", name="Central", name_ar="الوسط")
    for n in range(1, HALLS + 1):
        PollingStation.objects.create(
            election=election,
            district=central,
            code=f"C-{n:03d}",
            name=f"Central Community Hall, box {n}",
            name_ar=f"قاعة المجتمع المركزية، صندوق {n}",
            registered_voters=500 + 37 * n,
            latitude=31.9 + n / 200,
            longitude=35.9 + (n % 5) / 100,
        )
    council = Contest.objects.create(election=election, name="City Council", name_ar="مجلس المدينة", slug="council")
    for order, (name, name_ar) in enumerate(CANDIDATES, start=1):
        Candidate.objects.create(contest=council, name_en=name, name_ar=name_ar, ballot_order=order)
    election = open_election(election=election, actor=official)
    stations = list(PollingStation.objects.filter(election=election).order_by("code"))
    for index, station in enumerate(stations[:-2]):
        votes = [(index * (7 + k) + 3 * k) % 60 + 5 for k in range(len(CANDIDATES))]
        if station.code == "C-002":
            votes[0] = votes[1] = max(votes) + 1
        enter_sheet(station=station, contest=council, actor=official, votes=votes, key=new_key())
    sheet = TallySheet.objects.get(station__code="C-003", contest=council, status="accepted")
    quarantine_sheet(sheet=sheet, reason="Seal broken on the box", actor=official, idempotency_key=new_key())
    return publish_results(election=election, actor=official)


@contextmanager
def page_in(browser: Browser, base: str, language: str, *, javascript: bool = True) -> Iterator[Page]:
    context = browser.new_context(
        java_script_enabled=javascript,
        locale=language,
        extra_http_headers={"Accept-Language": language},
        viewport={"width": 1366, "height": 900},
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    try:
        yield context.new_page()
    finally:
        context.close()


def assert_fits(page: Page, what: str) -> None:
    widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (what, widths)


def station_codes(page: Page, selector: str = "[data-station-table]") -> list[str]:
    codes: list[str] = page.locator(f"{selector} tbody tr:not([hidden]) th .station-table__code").all_inner_texts()
    return codes


@pytest.mark.parametrize("language", ["en", "ar"])
def test_pages_fit_the_screen_tables_scroll_in_their_box_with_a_cue_and_pass_axe(
    language: str, city: Election, live_server
) -> None:
    slug = city.slug
    paths = {
        "overview": f"/results/{slug}/",
        "contest": f"/results/{slug}/contest/council/",
        "district": f"/results/{slug}/district/C/",
        "station": f"/results/{slug}/station/C-004/",
        "find": f"/results/{slug}/find-station/?q=central",
    }
    with launch_chromium() as browser, page_in(browser, live_server.url, language) as page:
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, path in paths.items():
                page.goto(live_server.url + path)
                page.wait_for_load_state("load")
                assert_fits(page, f"{name} {size}")
                result = Axe().run(page)
                assert result.violations_count == 0, f"{name} {size}: {result.generate_report()}"
                page.screenshot(path=str(SCREENSHOTS / f"tables-{name}-{language}-{size}.png"), full_page=True)

            page.goto(live_server.url + paths["contest"])
            box = page.locator("[data-station-table] .table-scroll")
            state = box.evaluate(
                """box => {
                    const th = box.querySelector("thead th");
                    const first = box.querySelector("tbody th[scope=row]");
                    const label = box.querySelector(".station-table__candidate .sort-control__label");
                    const lineHeight = parseFloat(getComputedStyle(label).lineHeight) || 20;
                    return {
                        overflows: box.scrollWidth > box.clientWidth,
                        tabindex: box.getAttribute("tabindex"),
                        name: box.getAttribute("aria-label"),
                        described: box.getAttribute("aria-describedby"),
                        headerSticky: getComputedStyle(th).position,
                        firstSticky: getComputedStyle(first).position,
                        labelLines: Math.round(label.getBoundingClientRect().height / lineHeight),
                        cueAtEnd: box.classList.contains("has-more-end"),
                    };
                }"""
            )
            assert state["overflows"], size
            assert state["tabindex"] == "0"
            assert state["name"]
            assert state["headerSticky"] == "sticky"
            assert state["firstSticky"] == "sticky"
            assert state["labelLines"] <= 2, state
            assert state["cueAtEnd"]
            hint = page.locator(f"#{state['described']}")
            assert hint.is_visible()
            assert hint.inner_text().strip()
            # Scrolled to the far end (leftwards in Arabic), the cue moves to the start edge and the last column shows.
            box.evaluate(
                "box => { box.scrollLeft = (getComputedStyle(box).direction === 'rtl' ? -1 : 1) * box.scrollWidth; }"
            )
            page.wait_for_function(
                "() => document.querySelector('[data-station-table] .table-scroll')"
                ".classList.contains('has-more-start')"
            )
            assert "has-more-end" not in (box.get_attribute("class") or "")
            last = box.locator("thead th").last
            box_edges = box.bounding_box()
            last_edges = last.bounding_box()
            assert box_edges is not None
            assert last_edges is not None
            assert (
                box_edges["x"] - 1 <= last_edges["x"] <= box_edges["x"] + box_edges["width"] - last_edges["width"] + 1
            )


@pytest.mark.parametrize("language", ["en", "ar"])
def test_station_table_sorts_by_its_header_links_without_javascript(language: str, city: Election, live_server) -> None:
    stations = list(PollingStation.objects.filter(election=city))
    most_first = [s.code for s in sorted(stations, key=lambda s: (-(s.registered_voters or 0), s.code))]
    with launch_chromium() as browser, page_in(browser, live_server.url, language, javascript=False) as page:
        page.goto(f"{live_server.url}/results/{city.slug}/contest/council/")
        assert station_codes(page)[:3] == ["C-001", "C-002", "C-003"]
        header = page.locator("[data-station-table] thead th[data-sort-key='registered']")
        header.locator("a").click()
        page.wait_for_url("**sort=registered&dir=desc**")
        assert header.get_attribute("aria-sort") == "descending"
        assert station_codes(page) == most_first
        header.locator("a").click()
        page.wait_for_url("**sort=registered&dir=asc**")
        header = page.locator("[data-station-table] thead th[data-sort-key='registered']")
        assert header.get_attribute("aria-sort") == "ascending"
        assert station_codes(page) == list(reversed(most_first))


@pytest.mark.parametrize("language", ["en", "ar"])
def test_station_table_sorts_in_place_like_the_server_and_filters_with_javascript(
    language: str, city: Election, live_server
) -> None:
    base = f"{live_server.url}/results/{city.slug}/contest/council/"
    third = Candidate.objects.get(contest__slug="council", ballot_order=3)
    with launch_chromium() as browser, page_in(browser, live_server.url, language) as page:
        page.goto(base)
        page.evaluate("window.notReloaded = true")
        for key in (f"c{third.pk}", "leader", "ballots", "station"):
            button = page.locator(f"[data-station-table] thead th[data-sort-key='{key}'] button")
            assert button.count() == 1
            for _ in range(2):
                button.click()
                sorted_in_place = station_codes(page)
                direction = page.locator(f"[data-station-table] thead th[data-sort-key='{key}']").get_attribute(
                    "aria-sort"
                )
                assert direction in ("ascending", "descending")
                assert f"sort={key}" in page.url
                assert page.evaluate("window.notReloaded") is True
                # The server, asked for the same order by address, gives the same rows in the same order.
                server = page.context.new_page()
                server.goto(page.url)
                assert station_codes(server) == sorted_in_place, key
                server.close()

        box = page.locator("[data-station-table]")
        search = box.get_by_role("searchbox")
        search.fill("box 1")  # halls 1 and 10 to 16
        assert sorted(station_codes(page)) == ["C-001", *(f"C-{n:03d}" for n in range(10, HALLS + 1))]
        status = box.locator(".table-filter__count")
        assert "8" in status.inner_text()
        assert str(HALLS + 3) in status.inner_text()
        search.fill("قاعه المجتمع صندوق ١٦")
        assert station_codes(page) == ["C-016"]
        search.fill("")
        assert len(station_codes(page)) == HALLS + 3
        result = Axe().run(page)
        assert result.violations_count == 0, result.generate_report()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_find_my_station_without_javascript(language: str, city: Election, live_server) -> None:
    with launch_chromium() as browser, page_in(browser, live_server.url, language, javascript=False) as page:
        for width, height in SIZES.values():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}/results/{city.slug}/")
            page.locator("#find-station-q").fill("c-007")
            page.locator("form[data-find-station] button[type=submit]").click()
            page.wait_for_url(f"**/results/{city.slug}/station/C-007/")
            page.goto(f"{live_server.url}/results/{city.slug}/")
            page.locator("#find-station-q").fill("مدرسه الشمال" if language == "ar" else "north school")
            page.locator("form[data-find-station] button[type=submit]").click()
            page.wait_for_url("**/find-station/?q=*")
            assert_fits(page, "find")
            links = page.locator(".station-matches__list a")
            assert links.count() == 1
            links.first.click()
            page.wait_for_url(f"**/results/{city.slug}/station/N-001/")
            assert_fits(page, "station")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_find_my_station_suggests_as_one_types_with_javascript(language: str, city: Election, live_server) -> None:
    with launch_chromium() as browser, page_in(browser, live_server.url, language) as page:
        for width, height in SIZES.values():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}/results/{city.slug}/")
            box = page.get_by_role("combobox")
            assert box.get_attribute("aria-expanded") == "false"
            box.press_sequentially("قاعة" if language == "ar" else "central hall", delay=30)
            listbox = page.get_by_role("listbox")
            listbox.wait_for()
            assert box.get_attribute("aria-expanded") == "true"
            options = listbox.get_by_role("option")
            assert 1 <= options.count() <= 8
            status = page.locator("form[data-find-station] [role=status]")
            assert status.inner_text().strip()
            assert_fits(page, "suggestions")
            result = Axe().run(page)
            assert result.violations_count == 0, result.generate_report()
            box.press("ArrowDown")
            box.press("ArrowDown")
            active = box.get_attribute("aria-activedescendant")
            assert active == options.nth(1).get_attribute("id")
            assert options.nth(1).get_attribute("aria-selected") == "true"
            box.press("Enter")
            page.wait_for_url(f"**/results/{city.slug}/station/C-002/")
            assert page.locator("h1").inner_text().startswith("C-002")
