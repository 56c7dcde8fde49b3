"""On the pages themselves: the headline's "reporting" and each contest card's agree, each labelled with its rule,
when a station is quarantined; and a tie for the lead or for the last seat reads "Tied" with no star to anyone, in the
contest card, the contest table and the map."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ballots.models import TallySheet
from ballots.services import quarantine_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db


def part(html: str, part_id: str, tag: str) -> str:
    """The element with ``id="part-<part_id>"``, up to its closing ``tag`` (the live parts do not nest their tag)."""
    found = re.search(rf'<{tag}[^>]*id="part-{re.escape(part_id)}".*?</{tag}>', html, re.DOTALL)
    assert found is not None, part_id
    return found.group(0)


def text(fragment: str) -> str:
    words = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)))
    return re.sub(r" ([,.;:])", r"\1", words.replace("\u2068", "").replace("\u2069", "")).strip()


def reporting_fact(fragment: str, label: str) -> tuple[int, int]:
    """The "n of m" after ``label`` in a list of facts."""
    found = re.search(rf"{re.escape(label)} (\d+) of (\d+)", text(fragment))
    assert found is not None, (label, text(fragment))
    return int(found.group(1)), int(found.group(2))


@pytest.fixture
def council(open_vote: Election) -> Contest:
    """A second contest on every station: two seats, four candidates."""
    contest = Contest.objects.create(election=open_vote, name="Council", slug="council", seats=2, max_choices=2)
    for order, name in enumerate(["Rana", "Sami", "Tala", "Walid"], start=1):
        Candidate.objects.create(contest=contest, name_en=name, ballot_order=order)
    return contest


def test_headline_and_cards_agree_and_say_which_rule_when_a_station_is_quarantined_in_one_contest(
    published: Election,
    station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    council: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for reporting in (station, south_station):
            enter_sheet(station=reporting, contest=contest, actor=official, votes=[40, 30], key=new_key())
            enter_sheet(station=reporting, contest=council, actor=official, votes=[20, 20, 15, 5], key=new_key())
        sheet = TallySheet.objects.get(station=south_station, contest=contest, status="accepted")
        quarantine_sheet(sheet=sheet, reason="Seal broken on the box", actor=official, idempotency_key=new_key())
    html = client.get(f"/results/{published.slug}/").content.decode()
    headline = reporting_fact(part(html, "summary", "div"), "Stations reporting all contests")
    mayor_card = part(html, "contest-mayor", "section")
    mayor = reporting_fact(mayor_card, "Stations reporting this contest")
    council_count = reporting_fact(part(html, "contest-council", "section"), "Stations reporting this contest")
    # S-001 counts for the council but not the mayor (quarantined), so not overall: the headline never says more
    # stations report than a card does, and each number names its rule.
    assert headline == (1, 3)
    assert mayor == (1, 3)
    assert council_count == (2, 3)
    assert "Quarantined stations (not counted)" in text(mayor_card)
    assert "S-001" in text(mayor_card)
    assert "Seal broken on the box" in text(mayor_card)


def test_a_tie_for_the_lead_reads_tied_with_no_star_in_card_table_and_map(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    PollingStation.objects.filter(election=published).update(latitude=31.9, longitude=35.9)
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[42, 42], key=new_key())
    html = client.get(f"/results/{published.slug}/contest/mayor/").content.decode()
    card = part(html, "contest-mayor", "section")
    assert "★" not in card
    assert "Tied: Amal Haddad, Omar Nasser" in text(card)
    assert "Leading:" not in text(card)
    # The candidates' table: both rows marked tied, neither "Leading".
    rows = re.findall(r'<tr class="is-tied">.*?</tr>', card, re.DOTALL)
    assert len(rows) == 2
    assert all("Tied" in text(row) and "Leading" not in text(row) for row in rows)
    # The station table names both as tied and no leader.
    station_row = re.search(r'<tr data-search="n-001.*?</tr>', html, re.DOTALL)
    assert station_row is not None
    assert "Tied: Amal Haddad, Omar Nasser" in text(station_row.group(0))
    # The map: the station's marker says tied, in grey, not in either candidate's colour.
    station_map = part(html, "map-mayor", "figure")
    assert "★" not in station_map
    marker = re.search(r'<[^>]*data-station="N-001".*?</title>', station_map, re.DOTALL)
    assert marker is not None
    assert "tied" in text(marker.group(0)).lower()
    assert "Amal Haddad" in text(marker.group(0))
    assert "Omar Nasser" in text(marker.group(0))


def test_a_tie_for_the_last_seat_stars_only_the_candidate_ahead_of_it(
    published: Election,
    station: PollingStation,
    council: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=council, actor=official, votes=[50, 30, 30, 10], key=new_key())
    for path in (f"/results/{published.slug}/", f"/results/{published.slug}/contest/council/"):
        card = part(client.get(path).content.decode(), "contest-council", "section")
        # The seats held now, in order: Rana alone, leading; the last seat is tied, held by nobody.
        holders = re.findall(r'<li class="seat-holders__item".*?</li>', card, re.DOTALL)
        assert [text(item) for item in holders] == ["Rana Independent Leading"]
        assert "Tied for the last seat: Sami, Tala" in text(card)
        bars = re.findall(r'<li class="bars__row">.*?</li>', card, re.DOTALL)
        starred = [text(row) for row in bars if "★" in row]
        assert len(starred) == 1
        assert starred[0].startswith("Rana")
        tied_rows = re.findall(r'<tr class="is-tied">.*?</tr>', card, re.DOTALL)
        assert sorted(text(row).split()[0] for row in tied_rows) == ["Sami", "Tala"]
        assert all("Tied for the last seat" in text(row) and "★" not in row for row in tied_rows)
