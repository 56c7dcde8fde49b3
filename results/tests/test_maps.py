"""The results maps as the pages render them: districts as linked areas named by their result, shaded by the lead,
a legend, a map on each district page, stations at one site as one counted marker, and no two markers overlapping;
outlines kept out of the snapshot and of live frames."""

from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from elections.models import Contest, District, Election, PollingStation
from elections.services import import_boundaries
from elections.tests.geojson import collection, feature, point, polygon, square
from results.frames import language_frame
from results.map_labels import standing_of
from results.selectors import get_public_snapshot
from results.services import rebuild_snapshot, refresh_tallies
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db

NORTH = polygon(square(35.90, 31.95, 0.05))
SOUTH = polygon(square(35.90, 31.90, 0.05))


def outlines(*extra: dict) -> bytes:
    """North above South; N-001 and N-002 at one school, S-001 in the south."""
    return collection(
        feature("N", NORTH),
        feature("S", SOUTH),
        feature("N-001", point(35.925, 31.975)),
        feature("N-002", point(35.925, 31.975)),
        feature("S-001", point(35.92, 31.92)),
        *extra,
    )


@pytest.fixture
def mapped(published: Election, official: User, django_capture_on_commit_callbacks) -> Election:
    with django_capture_on_commit_callbacks(execute=True):
        import_boundaries(election=published, data=outlines(), actor=official)
    return published


@dataclass
class Link:
    href: str
    key: str
    status: str
    fill: str
    title: str
    circle: tuple[float, float, float] | None
    count: str


def map_of(html: str, part_id: str) -> tuple[str, ET.Element]:
    """A map's figure (HTML) and its SVG (parsed)."""
    found = re.search(rf'<figure[^>]*id="part-{re.escape(part_id)}".*?</figure>', html, re.DOTALL)
    assert found is not None, part_id
    svg = re.search(r"<svg.*?</svg>", found.group(0), re.DOTALL)
    assert svg is not None, found.group(0)[:300]
    return found.group(0), ET.fromstring(svg.group(0))  # noqa: S314 - the test server's own page


def links_of(svg: ET.Element) -> list[Link]:
    found = []
    for link in svg.iter("a"):
        title = link.find("title")  # the link's accessible name
        assert title is not None
        circle = link.find("circle")
        text = link.find("text")
        found.append(
            Link(
                href=link.get("href", ""),
                key=link.get("data-station", ""),
                status=link.get("class", "").removeprefix("station-map__dot station-map__dot--"),
                fill=link.get("fill", ""),
                title=(title.text or "").replace("\u2068", "").replace("\u2069", ""),
                circle=(
                    (float(circle.get("cx", 0)), float(circle.get("cy", 0)), float(circle.get("r", 0)))
                    if circle is not None
                    else None
                ),
                count=(text.text or "") if text is not None else "",
            )
        )
    return found


def page(client: Client, path: str, language: str = "en") -> str:
    response = client.get(path, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


def test_areas_link_to_their_district_pages_with_names_that_say_the_result(
    mapped: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[412, 388], key=new_key())

    figure, svg = map_of(page(client, f"/results/{mapped.slug}/contest/mayor/"), "map-mayor")

    areas = {link.key: link for link in links_of(svg) if link.key.startswith("district:")}
    assert set(areas) == {"district:N", "district:S"}
    north, south = areas["district:N"], areas["district:S"]
    assert north.href == f"/results/{mapped.slug}/district/N/"
    assert north.title == "North: Amal Haddad leads by 24 votes (3.0 points), 1 of 2 polling stations reporting"
    assert north.status == "lead-1"
    assert north.fill.lower() == "#2ca02c"  # the party's colour
    assert south.title == "South: no results yet, 0 of 1 polling station reporting"
    assert (south.status, south.fill) == ("waiting", "url(#map-mayor-hatch)")
    assert 'id="map-mayor-hatch"' in figure
    # Areas draw outlines the page defines once, outside the live part.
    assert '<use href="#district-shape-' in figure
    assert " d=" not in figure
    assert not any(link.circle for link in areas.values())


def test_the_legend_names_leaders_margin_shades_a_tie_and_no_results(
    mapped: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[412, 388], key=new_key())
    figure, _svg = map_of(page(client, f"/results/{mapped.slug}/"), "map-mayor")
    legend = re.search(r'<ul class="map-legend">.*?</ul>', figure, re.DOTALL)
    assert legend is not None
    items = [re.sub(r"<[^>]+>|\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", legend.group(0), re.S)]
    assert items == [
        "Amal Haddad",
        "lead under 5 points",
        "5 to 10 points",
        "10 to 20 points",
        "20 points or more",
        "tied",
        "no results yet",
    ]
    assert "background-color: #2ca02c" in legend.group(0).lower()


@pytest.mark.parametrize(
    ("votes", "status"),
    [([412, 388], "lead-1"), ([430, 370], "lead-2"), ([460, 340], "lead-3"), ([600, 200], "lead-4")],
)
def test_an_areas_shade_steps_with_the_leads_margin_in_points(
    mapped: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
    votes: list[int],
    status: str,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=votes, key=new_key())
    _figure, svg = map_of(page(client, f"/results/{mapped.slug}/contest/mayor/"), "map-mayor")
    north = next(link for link in links_of(svg) if link.key == "district:N")
    assert north.status == status


def test_a_tied_area_is_grey_and_named_tied(
    mapped: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[300, 300], key=new_key())
    figure, svg = map_of(page(client, f"/results/{mapped.slug}/contest/mayor/"), "map-mayor")
    north = next(link for link in links_of(svg) if link.key == "district:N")
    # The tie's grey, crossed with white so that a pale grey leader never looks tied.
    assert (north.status, north.fill) == ("tied", "url(#map-mayor-tie)")
    tie = re.search(r'<pattern id="map-mayor-tie".*?</pattern>', figure, re.DOTALL)
    assert tie is not None
    assert 'fill="#9aa3ad"' in tie.group(0)
    assert north.title == "North: tied: Amal Haddad, Omar Nasser, 1 of 2 polling stations reporting"


def test_a_district_page_has_its_own_map_of_its_stations_with_one_counted_marker_per_site(
    mapped: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[40, 60], key=new_key())

    html = page(client, f"/results/{mapped.slug}/district/N/")
    figure, svg = map_of(html, "district-map-mayor")

    assert "data-live-part" not in figure.split(">", 1)[0]  # inside the district's own live part
    assert '<use href="#district-shape-' in figure  # North's outline around its stations
    [school] = links_of(svg)
    assert school.count == "2"
    assert school.key == "N-001"
    assert school.status == "reported"
    assert school.title == (
        "North School (2 polling stations): Omar Nasser leads by 20 votes (20.0 points), 1 of 2 polling stations "
        "reporting"
    )
    assert school.href == "#district-map-mayor-place-0"
    listed = re.search(r'<li id="district-map-mayor-place-0">.*?</ul>', figure, re.DOTALL)
    assert listed is not None
    assert f'href="/results/{mapped.slug}/station/N-001/"' in listed.group(0)
    assert f'href="/results/{mapped.slug}/station/N-002/"' in listed.group(0)
    # The outline this map uses is defined on the page, once.
    shape_ids = re.findall(r'<path id="(district-shape-\d+)" d="M', html)
    assert len(shape_ids) == len(set(shape_ids)) == 1


def test_a_district_with_districts_inside_shows_them_as_areas_on_its_page(
    mapped: Election, official: User, django_capture_on_commit_callbacks, client: Client
) -> None:
    north = District.objects.get(election=mapped, code="N")
    for code in ("N-E", "N-W"):
        District.objects.create(election=mapped, code=code, name=f"North {code[-1]}", parent=north)
    PollingStation.objects.filter(election=mapped, code="N-001").update(district=District.objects.get(code="N-E"))
    PollingStation.objects.filter(election=mapped, code="N-002").update(district=District.objects.get(code="N-W"))
    halves = collection(
        feature("N-E", polygon(square(35.925, 31.95, 0.025))), feature("N-W", polygon(square(35.90, 31.95, 0.025)))
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_boundaries(election=mapped, data=halves, actor=official)

    _figure, svg = map_of(page(client, f"/results/{mapped.slug}/district/N/"), "district-map-mayor")

    links = links_of(svg)
    assert {link.key for link in links} == {"district:N-E", "district:N-W"}
    assert {link.href for link in links} == {
        f"/results/{mapped.slug}/district/N-E/",
        f"/results/{mapped.slug}/district/N-W/",
    }
    # The overview still shows the top districts.
    _figure, svg = map_of(page(client, f"/results/{mapped.slug}/"), "map-mayor")
    assert {link.key for link in links_of(svg)} == {"district:N", "district:S"}


def test_without_outlines_the_stations_map_stays_with_links_names_and_no_overlap(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    north = District.objects.get(election=published, code="N")
    for number in range(40):
        PollingStation.objects.create(
            election=published,
            district=north,
            code=f"N-{100 + number}",
            name=f"Hall {number}, box 1",
            registered_voters=300,
            latitude=31.90 + (number % 7) * 0.0012,
            longitude=35.90 + (number // 7) * 0.0015 + (number % 3) * 0.0002,
        )
    PollingStation.objects.filter(code__in=["N-001", "N-002", "S-001"]).update(latitude=31.905, longitude=35.905)
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[10, 5], key=new_key())

    figure, svg = map_of(page(client, f"/results/{published.slug}/contest/mayor/"), "map-mayor")

    links = links_of(svg)
    assert all(link.circle is not None for link in links)
    assert sum(int(link.count or 1) for link in links) == 43
    for a, b in itertools.combinations(links, 2):
        (ax, ay, ar), (bx, by, br) = a.circle or (0, 0, 0), b.circle or (0, 0, 0)
        assert abs(ax - bx) >= ar + br or abs(ay - by) >= ar + br, (a.key, b.key)
    # The three stations placed at one spot are one marker (with any too close to part at this scale).
    school = next(link for link in links if link.key == "N-001")
    assert int(school.count) >= 3
    assert school.title.startswith("North School")
    assert "Polling stations of \u2068Mayor\u2069, coloured by the leading candidate" in figure
    single = next(link for link in links if not link.count)
    assert single.href.startswith(f"/results/{published.slug}/station/")
    assert re.match(r"N-1\d\d Hall \d+, box 1: not reported yet", single.title)


def test_outlines_stay_out_of_the_snapshot_and_the_live_frames(
    mapped: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    snapshot = get_public_snapshot(slug=mapped.slug)
    assert snapshot is not None
    assert "31.95" not in json.dumps(snapshot["districts"])
    with translation.override("en"):
        first, state = language_frame(rebuild_snapshot(election=mapped), {})
        assert '<use href="#district-shape-' in first["parts"]["map-mayor"]
        assert " d=" not in first["parts"]["map-mayor"]
        enter_sheet(station=station, contest=contest, actor=official, votes=[10, 90], key=new_key())
        second, state = language_frame(rebuild_snapshot(election=mapped), state)
        leader_colour = state["dots"]["map-mayor"]["district:N"][0]
        enter_sheet(station=other_station, contest=contest, actor=official, votes=[10, 90], key=new_key())
        third, _state = language_frame(rebuild_snapshot(election=mapped), state)
    assert "map-mayor" in second["parts"]  # a leader joined the legend: the map was sent whole, still by reference
    assert " d=" not in second["parts"]["map-mayor"]
    # The same leader gaining a station: only the area's state travels, a few dozen bytes.
    assert "map-mayor" not in third["parts"]
    assert set(third["dots"]["map-mayor"]) == {"district:N"}
    colour, status, label = third["dots"]["map-mayor"]["district:N"]
    assert (colour, status) == (leader_colour, "lead-4")
    assert label.endswith("leads by 160 votes (80.0 points), 2 of 2 polling stations reporting")
    assert len(json.dumps(third["dots"], ensure_ascii=False)) < 200


def test_pages_with_maps_run_no_query_once_the_version_is_drawn(
    mapped: Election, client: Client, django_assert_num_queries
) -> None:
    client.get(f"/results/{mapped.slug}/")  # warm
    for path in (f"/results/{mapped.slug}/contest/mayor/", f"/results/{mapped.slug}/district/N/"):
        with django_assert_num_queries(0):
            assert client.get(path).status_code == 200


def test_the_arabic_page_keeps_the_map_left_to_right_and_names_districts_in_arabic(
    mapped: Election, client: Client
) -> None:
    District.objects.filter(election=mapped, code="N").update(name_ar="الشمال")
    refresh_tallies(election_id=mapped.pk)

    html = page(client, f"/results/{mapped.slug}/", "ar")

    assert '<html lang="ar" dir="rtl">' in html
    _figure, svg = map_of(html, "map-mayor")
    assert svg.get("dir") == "ltr"
    north = next(link for link in links_of(svg) if link.key == "district:N")
    assert north.title.startswith("الشمال")
    assert "الشمال" in "".join(svg.find("g[@class='station-map__labels']").itertext())  # type: ignore[union-attr]


def test_the_standing_of_votes_names_a_leader_a_tie_or_nothing() -> None:
    people = [{"id": i, "name": n, "name_ar": "", "party_id": None, "ballot_order": i, "is_write_in": False}
              for i, n in enumerate(["A", "B", "C"], start=1)]  # fmt: skip
    lead = standing_of(people, [50, 30, 20])  # type: ignore[arg-type]
    assert (lead.margin, lead.points, lead.step) == (20, 20.0, 4)
    assert standing_of(people, [40, 40, 20]).tied == ("A", "B")  # type: ignore[arg-type]
    assert not standing_of(people, [0, 0, 0]).has_votes  # type: ignore[arg-type]


def test_a_new_import_redraws_the_outlines_and_sends_the_map_whole(
    mapped: Election, official: User, django_capture_on_commit_callbacks, client: Client
) -> None:
    before = page(client, f"/results/{mapped.slug}/")
    with translation.override("en"):
        _first, state = language_frame(rebuild_snapshot(election=mapped), {})
    wider = collection(feature("N", polygon(square(35.85, 31.95, 0.10))))
    with django_capture_on_commit_callbacks(execute=True):
        import_boundaries(election=mapped, data=wider, actor=official)

    after = page(client, f"/results/{mapped.slug}/")
    north_id = District.objects.get(election=mapped, code="N").pk
    path = rf'<path id="district-shape-{north_id}" d="([^"]+)"'
    old, new = re.search(path, before), re.search(path, after)
    assert old is not None
    assert new is not None
    assert old.group(1) != new.group(1)
    with translation.override("en"):
        frame, _state = language_frame(get_public_snapshot(slug=mapped.slug) or {}, state)  # type: ignore[arg-type]
    assert "map-mayor" in frame["parts"]
