"""The clerk's tally sheet in the shapes real ballots take: a grid of candidates by vote type with totals, undervotes
and overvotes where the election counts them (blank and invalid only where it counts those), a ballot measure as its
question with Yes and No, write-ins marked; refusals beside the box at fault; and the review side by side."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from ballots.forms import SheetForm
from ballots.models import TallySheet, TallySheetVoteByType
from ballots.tests.shapes import Shapes, build_shapes, enter_typed_sheet
from ballots.tests.support import set_counting
from ballots.tests.test_entry_views import key_in
from elections.models import ClerkAssignment, Contest, Election, PollingStation, SupervisorAssignment
from trust.errors import EntryRejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def shapes(official: User) -> Shapes:
    return build_shapes(official=official)


@pytest.fixture
def vale_clerk(client: Client, shapes: Shapes) -> Client:
    client.force_login(shapes.clerk)
    return client


def sheet_url(station: PollingStation, contest: Contest) -> str:
    return f"/entry/stations/{station.pk}/contests/{contest.pk}/sheet/"


def grid_post(key: str, contest: Contest, splits: list[tuple[str, str]], **counts: str) -> dict[str, Any]:
    """A post of the grid: per candidate in ballot order, (election day, by mail) as typed."""
    types = list(contest.election.vote_types.order_by("position").values_list("pk", flat=True))
    data = {"idempotency_key": key, "undervotes": "0", "overvotes": "0", "reason": "", **counts}
    for candidate, split in zip(contest.candidates.order_by("ballot_order"), splits, strict=True):
        data.update({f"votes_{candidate.pk}_{t}": n for t, n in zip(types, split, strict=True)})
    return data


def row_of(html: str, name: str) -> str:
    pattern = rf"<tr class=\"vote-grid__row[^\"]*\">\s*<th scope=\"row\"[^>]*>\s*<bdi>{name}</bdi>.*?</tr>"
    match = re.search(pattern, html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def test_an_election_with_vote_types_gets_a_grid_of_labelled_boxes_per_candidate_and_type(
    vale_clerk: Client, shapes: Shapes
) -> None:
    html = vale_clerk.get(sheet_url(shapes.known, shapes.executive)).content.decode()
    # Three candidates by two types, plus ballots cast, undervotes and overvotes; no blank or invalid boxes.
    assert html.count('inputmode="numeric"') == 3 * 2 + 3
    assert 'name="undervotes"' in html
    assert 'name="overvotes"' in html
    assert 'name="blank"' not in html
    assert 'name="invalid"' not in html
    for candidate in shapes.executive.candidates.all():
        for vote_type in shapes.election.vote_types.all():
            box = f"id_votes_{candidate.pk}_{vote_type.pk}"
            assert f'<label for="{box}">' in html
    dana = row_of(html, "Dana Whitfield")
    label = '<span class="visually-hidden"><bdi>Dana Whitfield</bdi>, </span><bdi class="vote-grid__type">By mail</bdi>'
    assert label in dana
    assert '<output data-total-row="0">' in dana
    assert '<span class="tag">Write-in</span>' not in dana
    # The write-in line named "Write-in" is called so, and not marked twice.
    assert 'class="tag"' not in row_of(html, "Write-in")
    assert 'src="/static/js/sheet-totals.js"' in html


def test_a_write_in_with_a_name_of_its_own_is_marked_as_one(vale_clerk: Client, shapes: Shapes) -> None:
    shapes.executive.candidates.filter(is_write_in=True).update(name_en="Jo Write")
    html = vale_clerk.get(sheet_url(shapes.known, shapes.executive)).content.decode()
    assert '<bdi>Jo Write</bdi> <span class="tag">Write-in</span>' in row_of(html, "Jo Write")


def test_a_measure_shows_its_question_and_its_choices(vale_clerk: Client, shapes: Shapes) -> None:
    html = vale_clerk.get(sheet_url(shapes.known, shapes.measure)).content.decode()
    assert '<span class="tag">Ballot measure</span> <bdi>Question 1: Parks Levy</bdi>' in html
    assert "Votes per choice" in html
    assert ">Choice</th>" in html
    row_of(html, "Yes")
    row_of(html, "No")


def test_the_grid_records_each_candidates_votes_per_type_and_their_sums(vale_clerk: Client, shapes: Shapes) -> None:
    page = vale_clerk.get(sheet_url(shapes.known, shapes.executive)).content.decode()
    data = grid_post(key_in(page), shapes.executive, [("10", "4"), ("7", "2"), ("1", "0")], ballots_cast="26")
    data["undervotes"], data["overvotes"] = "1", "1"
    response = vale_clerk.post(sheet_url(shapes.known, shapes.executive), data)
    assert response.status_code == 302
    sheet = TallySheet.objects.get(contest=shapes.executive)
    assert (sheet.status, sheet.undervotes, sheet.overvotes) == ("accepted", 1, 1)
    assert sorted(sheet.votes.values_list("votes", flat=True)) == [1, 9, 14]
    assert sorted(TallySheetVoteByType.objects.filter(sheet=sheet).values_list("votes", flat=True)) == [
        0,
        1,
        2,
        4,
        7,
        10,
    ]


def test_a_refused_grid_keeps_what_was_typed_with_its_totals_and_the_message_beside_ballots_cast(
    vale_clerk: Client, shapes: Shapes
) -> None:
    page = vale_clerk.get(sheet_url(shapes.known, shapes.executive)).content.decode()
    key = key_in(page)
    data = grid_post(key, shapes.executive, [("10", "4"), ("7", "2"), ("1", "0")], ballots_cast="30")
    refused = vale_clerk.post(sheet_url(shapes.known, shapes.executive), data)
    html = refused.content.decode()
    assert refused.status_code == 422
    field = re.search(r'<div class="field field--error">(.*?)</div>', html, re.S)
    assert field is not None
    assert 'for="id_ballots_cast"' in field.group(1)
    assert "must equal ballots cast" in field.group(1)
    # The totals of what was typed are on the page without any script: 14, 9 and 1; 18 and 6 by type; 24 in all.
    assert '<output data-total-row="0">14</output>' in html
    assert '<output data-total-row="1">9</output>' in html
    assert '<output data-total-column="0">18</output>' in html
    assert '<output data-total-column="1">6</output>' in html
    assert '<output data-total-column="all">24</output>' in html
    assert key_in(html) == key
    assert TallySheet.objects.count() == 0


def test_a_box_that_is_not_a_number_is_refused_in_its_candidates_row(vale_clerk: Client, shapes: Shapes) -> None:
    rob = shapes.executive.candidates.get(ballot_order=2)
    mail = shapes.election.vote_types.get(code="mail")
    data = grid_post("form-key-grid-1", shapes.executive, [("1", "0"), ("2", "x"), ("0", "0")], ballots_cast="3")
    html = vale_clerk.post(sheet_url(shapes.known, shapes.executive), data).content.decode()
    row = row_of(html, "Rob Castellano")
    box = f"id_votes_{rob.pk}_{mail.pk}"
    assert "vote-grid__row--error" in row
    assert f'<p class="field__error" id="{box}-error">' in row
    assert "whole number" in row
    assert f'aria-describedby="{box}-error"' in row
    assert 'aria-invalid="true"' in row
    assert 'value="x"' in row
    assert '<output data-total-row="1">—</output>' in row


def test_a_refusal_about_a_candidate_lands_in_that_candidates_row(shapes: Shapes) -> None:
    candidates = list(shapes.executive.candidates.order_by("ballot_order"))
    types = list(shapes.election.vote_types.order_by("position"))
    form = SheetForm({}, election=shapes.election, candidates=candidates, vote_types=types, show_reason=False)
    too_many = EntryRejected("too many", code="x", details={"field": "votes", "candidate_ids": [candidates[1].pk]})
    missing = EntryRejected(
        "missing", code="y", details={"field": "votes_by_type", "candidate_id": candidates[2].pk, "missing": ["mail"]}
    )
    assert form.field_for_error(too_many) == f"votes_{candidates[1].pk}_{types[0].pk}"
    assert form.field_for_error(missing) == f"votes_{candidates[2].pk}_{types[1].pk}"
    assert form.field_for_error(EntryRejected("u", code="z", details={"field": "undervotes"})) == "undervotes"


def test_blank_and_invalid_are_asked_only_where_the_election_counts_them(
    client: Client, clerk: User, open_vote: Election
) -> None:
    client.force_login(clerk)
    station = open_vote.stations.get(code="N-001")
    html = client.get(sheet_url(station, open_vote.contests.get(slug="mayor"))).content.decode()
    assert 'name="blank"' in html
    assert 'name="invalid"' in html
    assert 'name="undervotes"' not in html
    assert "data-vote-grid" not in html


def test_a_station_whose_registered_voters_are_unknown_says_so(client: Client, shapes: Shapes) -> None:
    ClerkAssignment.objects.create(user=shapes.clerk, station=shapes.unknown)
    client.force_login(shapes.clerk)
    station_page = client.get(f"/entry/stations/{shapes.unknown.pk}/").content.decode()
    sheet_page = client.get(sheet_url(shapes.unknown, shapes.executive)).content.decode()
    home = client.get("/entry/").content.decode()
    assert re.search(r"<dt>Registered voters</dt><dd>unknown</dd>", station_page)
    assert "(registered voters unknown)" in sheet_page
    assert "None registered" not in sheet_page
    assert "registered voters unknown" in home


@pytest.fixture
def in_review(shapes: Shapes, official: User) -> tuple[Shapes, User]:
    """Two clerks' entries of the executive sheet at MILL-P1 with the same totals but a different split by type."""
    Election.objects.filter(pk=shapes.election.pk).update(status="draft")
    Election.objects.filter(pk=shapes.election.pk).update(double_entry=True)
    Election.objects.filter(pk=shapes.election.pk).update(status="open")
    second = User.objects.create_user(username="vale-second", password="correct-horse-battery")
    second.groups.add(Group.objects.get(name="Clerks"))
    ClerkAssignment.objects.create(user=second, station=shapes.known)
    supervisor = User.objects.create_user(username="vale-supervisor", password="correct-horse-battery")
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    SupervisorAssignment.objects.create(user=supervisor, district=shapes.known.district)
    splits = {"first": [(10, 4), (7, 2), (1, 0)], "second": [(11, 3), (7, 2), (1, 0)]}
    for actor, name in ((shapes.clerk, "first"), (second, "second")):
        enter_typed_sheet(
            station=shapes.known,
            contest=shapes.executive,
            actor=actor,
            key=f"key-review-{name}",
            by_type=splits[name],
            undervotes=2,
        )
    return shapes, supervisor


def test_the_review_compares_votes_by_type_and_undervotes_side_by_side(
    client: Client, in_review: tuple[Shapes, User]
) -> None:
    shapes, supervisor = in_review
    client.force_login(supervisor)
    html = client.get(f"/entry/review/{shapes.known.pk}/{shapes.executive.pk}/").content.decode()
    table = html[html.index('<table class="entry-table review-table"') : html.index("</table>")]
    # Dana's total (14) is the same; her election-day and mail votes differ, and nothing else does.
    assert table.count('class="differs review-table__by-type"') == 2
    assert table.count('class="differs"') == 0
    assert '<span class="visually-hidden"><bdi>Dana Whitfield</bdi>, </span><bdi>Election day</bdi>' in table
    assert re.search(r"<th scope=\"row\"><bdi>Undervotes</bdi></th>\s*<td>2</td><td>2</td>", table)
    assert ">Blank ballots<" not in table
    assert "data-vote-grid" in html  # the deciding version is entered on the same grid


def test_a_supervisor_decides_on_the_grid(client: Client, in_review: tuple[Shapes, User]) -> None:
    shapes, supervisor = in_review
    client.force_login(supervisor)
    data = {
        **grid_post("form-key-decide-1", shapes.executive, [("12", "2"), ("7", "2"), ("1", "0")], ballots_cast="26"),
        "undervotes": "2",
        "action": "decide",
    }
    response = client.post(f"/entry/review/{shapes.known.pk}/{shapes.executive.pk}/", data)
    assert response.status_code == 302
    accepted = TallySheet.objects.get(status="accepted")
    assert (accepted.entered_by, accepted.undervotes) == (supervisor, 2)
    assert sorted(TallySheetVoteByType.objects.filter(sheet=accepted).values_list("votes", flat=True))[-1] == 12


def test_the_sheet_history_shows_undervotes_and_the_split_by_type(vale_clerk: Client, shapes: Shapes) -> None:
    enter_typed_sheet(
        station=shapes.known,
        contest=shapes.executive,
        actor=shapes.clerk,
        key="key-history-1",
        by_type=[(10, 4), (7, 2), (1, 0)],
        overvotes=3,
    )
    history = sheet_url(shapes.known, shapes.executive).replace("sheet/", "sheet/history/")
    html = vale_clerk.get(history).content.decode()
    assert ">Undervotes</th>" in html
    assert ">Overvotes</th>" in html
    assert ">Blank ballots<" not in html
    split = '<ul class="split-list"><li><bdi>Election day</bdi>: 10</li><li><bdi>By mail</bdi>: 4</li></ul>'
    assert f"<td>14{split}</td>" in html


def test_the_ballot_screen_marks_a_write_in_line(client: Client, official: User) -> None:
    shapes = build_shapes(official=official, write_in="Jo Write")
    set_counting(shapes.election, Election.CountingMethod.BOTH)
    client.force_login(shapes.clerk)
    html = client.get(f"/entry/stations/{shapes.known.pk}/contests/{shapes.executive.pk}/ballots/").content.decode()
    assert '<bdi class="ballot-choice__name">Jo Write</bdi> <span class="tag">Write-in</span>' in html
    assert '<bdi class="ballot-choice__name">Dana Whitfield</bdi>\n' in html
