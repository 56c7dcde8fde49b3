"""What the public sees of the shapes real ballots take: the split of a contest's votes per vote type, a ballot
measure's Yes and No with its threshold and outcome, write-ins marked, undervotes and overvotes where counted, turnout
left unknown where the registered voters are, and a contest named by its electoral district; the same in the live
frames and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from ballots.tests.shapes import Shapes, build_shapes, enter_typed_sheet
from elections.models import Election
from elections.services import certify_election, close_election, publish_results
from results.frames import language_frame
from results.services import rebuild_snapshot

pytestmark = pytest.mark.django_db


def report(shapes: Shapes, official: User) -> None:
    """Sheets by vote type: the executive at a station whose registered voters are known and at one whose are not,
    the measure only at the unknown one (Yes 40, No 20), the house contest at the station across districts."""
    enter_typed_sheet(
        station=shapes.known,
        contest=shapes.executive,
        actor=official,
        key="key-exec-known",
        by_type=[(10, 4), (7, 2), (1, 0)],
        undervotes=2,
        overvotes=1,
    )
    enter_typed_sheet(
        station=shapes.unknown,
        contest=shapes.executive,
        actor=official,
        key="key-exec-unknown",
        by_type=[(5, 1), (3, 3), (0, 1)],
    )
    enter_typed_sheet(
        station=shapes.unknown, contest=shapes.measure, actor=official, key="key-measure", by_type=[(30, 10), (12, 8)]
    )
    enter_typed_sheet(
        station=shapes.across, contest=shapes.house, actor=official, key="key-house", by_type=[(3, 1), (2, 2)]
    )


def publish_shapes(official: User, capture, *, threshold: Decimal | None = None, write_in: str = "Write-in") -> Shapes:
    shapes = build_shapes(official=official, threshold=threshold, write_in=write_in)
    with capture(execute=True):
        report(shapes, official)
        publish_results(election=shapes.election, actor=official)
    return shapes


@pytest.fixture
def shapes(official: User, django_capture_on_commit_callbacks) -> Shapes:
    return publish_shapes(official, django_capture_on_commit_callbacks)


def card(html: str, slug: str) -> str:
    """The contest card of ``slug`` in a page."""
    match = re.search(rf'<section class="contest-card" id="part-contest-{slug}".*?</section>', html, re.S)
    assert match, f"no card for {slug}"
    return match.group(0)


def numbers(cells: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', cells)]


def test_a_contest_with_vote_types_shows_each_candidates_split_and_the_columns_add_up(
    shapes: Shapes, client: Client
) -> None:
    html = client.get(f"/results/{shapes.election.slug}/contest/county-executive/").content.decode()
    split = card(html, "county-executive")
    table = split[split.index('<table class="results-table split-table">') :]
    table = table[: table.index("</table>")]
    assert "<caption>Votes by vote type</caption>" in table
    assert re.findall(r'<th scope="col" class="num"><bdi>(.*?)</bdi></th>', table) == ["Election day", "By mail"]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    rows = [numbers(row) for row in body.split("</tr>")[:-1]]
    # Dana 10+5 on the day and 4+1 by mail; Rob 7+3 and 2+3; the write-in line 1+0 and 0+1: ranked by votes.
    assert rows == [[15, 5, 20], [10, 5, 15], [1, 1, 2]]
    assert all(day + mail == total for day, mail, total in rows)
    footer = numbers(table[table.index("<tfoot>") :])
    assert footer == [26, 11, 37] == [sum(column) for column in zip(*rows, strict=True)]


def test_a_contest_without_vote_types_shows_no_split(published: Election, client: Client) -> None:
    html = client.get(f"/results/{published.slug}/contest/mayor/").content.decode()
    assert "split-table" not in html
    assert "Blank" in html
    assert "Undervotes" not in html


def test_a_measure_shows_yes_and_no_with_shares_its_rule_and_that_it_is_passing(shapes: Shapes, client: Client) -> None:
    measure = card(client.get(f"/results/{shapes.election.slug}/").content.decode(), "question-1")
    assert "Ballot measure" in measure
    assert "seat" not in measure
    outcome = re.search(r'<p class="measure-outcome measure-outcome--passes">(.*?)</p>', measure, re.S)
    assert outcome is not None
    assert '<strong class="measure-outcome__label">Passing</strong>' in outcome.group(1)
    assert "Yes: 66.7%" in outcome.group(1)
    assert "Passes with more than half of the votes." in outcome.group(1)
    # Yes above No whatever their votes, with their shares; no party and nobody "leading" a measure.
    assert re.findall(r'<th scope="row"><span class="swatch"[^>]*></span> <bdi>(\w+)</bdi>', measure) == ["Yes", "No"]
    assert '<td class="num">66.7%</td>' in measure
    assert '<td class="num">33.3%</td>' in measure
    assert "Leading" not in measure
    assert ">Party<" not in measure
    assert "★" not in measure


def test_a_measure_short_of_its_threshold_is_failing(official: User, django_capture_on_commit_callbacks) -> None:
    shapes = publish_shapes(official, django_capture_on_commit_callbacks, threshold=Decimal("0.75"))
    measure = card(Client().get(f"/results/{shapes.election.slug}/").content.decode(), "question-1")
    assert '<p class="measure-outcome measure-outcome--fails">' in measure
    assert ">Failing</strong>" in measure
    assert "Passes with at least 75% of the votes." in measure


def test_a_certified_election_says_a_measure_passed(
    shapes: Shapes, official: User, client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        close_election(election=shapes.election, actor=official)
        certify_election(election=Election.objects.get(pk=shapes.election.pk), actor=official)
    measure = card(client.get(f"/results/{shapes.election.slug}/").content.decode(), "question-1")
    assert ">Passed</strong>" in measure
    assert "Passing" not in measure


def test_the_measure_page_gives_each_station_its_yes_share(shapes: Shapes, client: Client) -> None:
    html = client.get(f"/results/{shapes.election.slug}/contest/question-1/").content.decode()
    stations = html[html.index('<table class="results-table station-table">') :]
    assert re.search(r'<th scope="col" data-sort-key="leader" class="num">.*?Yes share.*?</th>', stations, re.S)
    assert re.search(r"MILL-P2</bdi>.*?<td class=\"num\">66\.7%</td>", stations, re.S)


def test_write_ins_are_labelled_and_have_no_party(official: User, django_capture_on_commit_callbacks) -> None:
    shapes = publish_shapes(official, django_capture_on_commit_callbacks, write_in="Pat Example")
    executive = card(Client().get(f"/results/{shapes.election.slug}/").content.decode(), "county-executive")
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><span class=\"swatch\"[^>]*></span> <bdi>Pat Ex.*?</tr>", executive, re.S
    )
    assert row is not None
    assert '<span class="tag">Write-in</span>' in row.group(0)
    assert "Independent" not in row.group(0)


def test_a_write_in_line_named_write_in_is_shown_in_the_readers_language_without_a_second_mark(
    shapes: Shapes, client: Client
) -> None:
    executive = card(client.get(f"/results/{shapes.election.slug}/").content.decode(), "county-executive")
    assert "<bdi>Write-in</bdi></th>" in executive
    assert '<span class="tag">Write-in</span>' not in executive


def test_undervotes_and_overvotes_are_shown_where_counted_and_blank_and_invalid_are_not(
    shapes: Shapes, client: Client
) -> None:
    executive = card(client.get(f"/results/{shapes.election.slug}/").content.decode(), "county-executive")
    assert "<dt>Undervotes</dt><dd>2</dd>" in executive
    assert "<dt>Overvotes</dt><dd>1</dd>" in executive
    assert "<dt>Blank</dt>" not in executive
    assert "<dt>Invalid</dt>" not in executive


def test_turnout_is_never_a_percentage_of_unknown_registered_voters(shapes: Shapes, client: Client) -> None:
    slug = shapes.election.slug
    overview = client.get(f"/results/{slug}/").content.decode()
    # The measure was reported only where the registered voters are unknown.
    measure = card(overview, "question-1")
    assert 'Turnout (ballots cast)</dt><dd><span aria-hidden="true">—</span>' in measure
    assert "(registered voters unknown)" in measure
    # The executive's turnout is over the station whose registered voters are known only: 27 of 800.
    executive = card(overview, "county-executive")
    assert "<dt>Turnout (ballots cast)</dt><dd>3.4% <span" in executive
    assert "of registered voters at the stations reporting this contest" in executive
    assert "unknown at 1 station" in overview
    station = client.get(f"/results/{slug}/station/MILL-P2/").content.decode()
    assert "<dt>Registered voters</dt><dd>unknown</dd>" in station
    assert "None" not in station
    contest = client.get(f"/results/{slug}/contest/question-1/").content.decode()
    row = re.search(r"Millbrook Precinct 2</bdi></a></th>\s*<td class=\"num\">(.*?)</td>", contest, re.S)
    assert row is not None
    assert 'class="unknown"' in row.group(1)
    assert not re.search(r"(?<![\d.])0\.0%", contest)
    # Where no station has reported yet, there is no turnout, and nothing is said to be unknown.
    district = client.get(f"/results/{slug}/district/MILL/").content.decode()
    house = district[district.index("State House 41") : district.index("Question 1")]
    assert "<dt>Turnout (ballots cast)</dt><dd>—</dd>" in house


def test_a_contest_over_an_electoral_district_names_that_area(shapes: Shapes, client: Client) -> None:
    house = card(client.get(f"/results/{shapes.election.slug}/").content.decode(), "state-house-41")
    assert '<p class="contest-card__meta"><bdi>State House District 41</bdi>' in house


def test_the_live_frame_carries_the_cards_the_page_shows(shapes: Shapes, client: Client) -> None:
    page = client.get(f"/results/{shapes.election.slug}/").content.decode()
    with translation.override("en"):
        frame, _state = language_frame(rebuild_snapshot(election=shapes.election), {})
    for slug in ("question-1", "county-executive"):
        assert frame["parts"][f"contest-{slug}"].strip() == card(page, slug).strip()
    assert "Passing" in frame["parts"]["contest-question-1"]
    assert "split-table" in frame["parts"]["contest-county-executive"]


def test_the_csv_export_gives_votes_per_type_undervotes_overvotes_and_write_ins(shapes: Shapes, client: Client) -> None:
    text = client.get(f"/api/v1/results/elections/{shapes.election.slug}/stations.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"undervotes", "overvotes", "write_in", "votes_day", "votes_mail"} <= set(rows[0])
    for row in rows:
        assert int(row["votes_day"]) + int(row["votes_mail"]) == int(row["votes"])
    dana = next(r for r in rows if r["candidate"] == "Dana Whitfield" and r["station_code"] == "MILL-P1")
    assert (dana["votes_day"], dana["votes_mail"], dana["undervotes"], dana["overvotes"]) == ("10", "4", "2", "1")
    assert {r["write_in"] for r in rows if r["candidate"] == "Write-in"} == {"yes"}
