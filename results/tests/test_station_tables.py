"""Station tables sort on the server from the address (?sort=…&dir=…), so the header links work without JavaScript:
by any column either way, stations without a number last, bad values ignored."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from elections.models import Candidate, Contest, Election, PollingStation
from results.station_tables import DEFAULT_SORT, TableSort, parse_table_sort
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db

ROW_CODE = re.compile(
    r'<tr data-search="[^"]*" data-i="\d+"[^>]*>\s*<th scope="row"><a href="[^"]*"><bdi[^>]*>([^<]+)</bdi>'
)


@pytest.fixture
def counted(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> Election:
    """N-001 and N-002 reported (Amal leads at N-002, Omar at N-001); S-001 has not."""
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[100, 300], key=new_key())
        enter_sheet(station=other_station, contest=contest, actor=official, votes=[250, 20], key=new_key())
    return published


def station_order(html: str) -> list[str]:
    return ROW_CODE.findall(html)


def test_address_without_sort_lists_stations_by_code_and_says_so(counted: Election, client: Client) -> None:
    html = client.get(f"/results/{counted.slug}/contest/mayor/").content.decode()
    assert station_order(html) == ["N-001", "N-002", "S-001"]
    assert 'data-sort-key="station" aria-sort="ascending"' in html
    assert html.count("aria-sort=") == 1


def test_sorting_by_a_candidates_votes_puts_most_first_and_the_station_not_reported_last_both_ways(
    counted: Election, contest: Contest, client: Client
) -> None:
    amal = Candidate.objects.get(contest=contest, ballot_order=1)
    url = f"/results/{counted.slug}/contest/mayor/?sort=c{amal.pk}"
    descending = client.get(f"{url}&dir=desc").content.decode()
    assert station_order(descending) == ["N-002", "N-001", "S-001"]
    assert f'data-sort-key="c{amal.pk}" aria-sort="descending"' in descending
    # The sorted column's link now sorts the other way.
    assert f'href="?sort=c{amal.pk}&amp;dir=asc#station-table"' in descending
    ascending = client.get(f"{url}&dir=asc").content.decode()
    assert station_order(ascending) == ["N-001", "N-002", "S-001"]


def test_sorting_by_registered_voters_and_by_ballots_cast(counted: Election, client: Client) -> None:
    base = f"/results/{counted.slug}/contest/mayor/"
    # Registered: N-001 800, N-002 650, S-001 900.
    assert station_order(client.get(f"{base}?sort=registered&dir=desc").content.decode()) == ["S-001", "N-001", "N-002"]
    assert station_order(client.get(f"{base}?sort=registered&dir=asc").content.decode()) == ["N-002", "N-001", "S-001"]
    # Ballots cast: N-001 400, N-002 270, S-001 none yet (last either way).
    assert station_order(client.get(f"{base}?sort=ballots&dir=asc").content.decode()) == ["N-002", "N-001", "S-001"]


def test_sorting_by_leader_groups_stations_by_the_name_that_leads_them(counted: Election, client: Client) -> None:
    html = client.get(f"/results/{counted.slug}/contest/mayor/?sort=leader&dir=desc").content.decode()
    # Omar leads N-001, Amal N-002: Z to A puts Omar first; S-001 has no leader and comes last.
    assert station_order(html) == ["N-001", "N-002", "S-001"]
    html = client.get(f"/results/{counted.slug}/contest/mayor/?sort=leader").content.decode()
    assert station_order(html) == ["N-002", "N-001", "S-001"]


def test_district_page_tables_sort_by_the_same_address(counted: Election, client: Client) -> None:
    html = client.get(f"/results/{counted.slug}/district/N/?sort=ballots&dir=desc").content.decode()
    assert station_order(html) == ["N-001", "N-002"]
    assert 'href="?sort=ballots&amp;dir=asc#stations-mayor"' in html


@pytest.mark.parametrize(
    "query",
    [
        "?sort=nope",
        "?sort=ballots&dir=sideways",
        "?sort=c999999&dir=desc",
        "?sort=%3Cscript%3E",
        "?dir=desc",
        "?sort=" + "c1" * 100,
    ],
)
def test_bad_sort_values_are_ignored_and_the_page_keeps_its_usual_order(
    counted: Election, client: Client, query: str
) -> None:
    response = client.get(f"/results/{counted.slug}/contest/mayor/{query}")
    assert response.status_code == 200
    html = response.content.decode()
    if "dir=sideways" in query:
        # A known column with a bad direction sorts that column in its usual direction (numbers: largest first).
        assert station_order(html) == ["N-001", "N-002", "S-001"]
        assert 'data-sort-key="ballots" aria-sort="descending"' in html
    else:
        assert station_order(html) == ["N-001", "N-002", "S-001"]
        assert 'data-sort-key="station" aria-sort="ascending"' in html
    assert "<script>" not in html.split("<main", 1)[-1].split("results-table-texts")[0]


def test_parse_table_sort_accepts_only_known_columns_and_directions() -> None:
    assert parse_table_sort({}) == DEFAULT_SORT
    assert parse_table_sort({"sort": "registered"}) == TableSort("registered", "desc")
    assert parse_table_sort({"sort": "leader", "dir": "desc"}) == TableSort("leader", "desc")
    assert parse_table_sort({"sort": "c12", "dir": "asc"}) == TableSort("c12", "asc")
    assert parse_table_sort({"sort": "c", "dir": "asc"}) == DEFAULT_SORT
    assert parse_table_sort({"sort": "c1x"}) == DEFAULT_SORT
    assert parse_table_sort({"sort": "registered\x00"}) == DEFAULT_SORT


def test_each_row_carries_the_numbers_the_browser_sorts_and_filters_by(counted: Election, client: Client) -> None:
    html = client.get(f"/results/{counted.slug}/contest/mayor/").content.decode()
    row = re.search(r'<tr data-search="([^"]*)" data-i="0"([^>]*)>', html)
    assert row is not None
    assert row.group(1) == "n-001 n001 north school"
    assert 'data-registered="800"' in row.group(2)
    assert 'data-ballots="400"' in row.group(2)
    assert 'data-votes="100 300"' in row.group(2)
    missing = re.search(r'<tr data-search="s-001[^"]*" data-i="2"([^>]*)>', html)
    assert missing is not None
    assert 'data-ballots=""' in missing.group(1)
