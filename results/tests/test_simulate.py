"""``manage.py simulate`` enters plausible results through the services, or through a running server's API."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import transaction

from ballots.models import TallySheet, TurnoutReport
from ballots.tests.conftest import station  # noqa: F401 - fixture
from elections.demo import list_demo_clerk_station_codes
from elections.demo_data import DEMO_ELECTION_SLUG
from elections.models import Election
from elections.selectors import list_contest_station_ids
from results.management.commands.simulate import DEFAULT_SEED
from trust.models import AuditEvent


def _simulate(election: Election, *extra: str) -> str:
    out = StringIO()
    call_command(
        "simulate", "--election", election.slug, "--rate", "40", "--duration", "1", "--seed", "7", *extra, stdout=out
    )
    return out.getvalue()


@pytest.mark.django_db
def test_simulate_enters_sheets_and_turnout_whose_tallies_equal_a_recount(
    open_vote: Election, official: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = _simulate(open_vote, "--publish")
    sheets = TallySheet.objects.filter(station__election=open_vote)
    assert sheets.exists()
    assert TurnoutReport.objects.filter(station__election=open_vote).exists()
    assert report.startswith(f"Entered {sheets.count()} tally sheets")
    # What the public is served equals a recount of what was entered.
    verified = StringIO()
    call_command("verify_tallies", "--election", open_vote.slug, stdout=verified)
    assert "equals a recount" in verified.getvalue()
    for sheet in sheets.filter(status="accepted"):
        assert sum(v.votes for v in sheet.votes.all()) + sheet.blank + sheet.invalid == sheet.ballots_cast


@pytest.mark.django_db
def test_simulate_refuses_a_bad_rate_or_an_unknown_election(open_vote: Election, official: User) -> None:
    with pytest.raises(CommandError, match="--rate"):
        call_command("simulate", "--election", open_vote.slug, "--rate", "0")
    with pytest.raises(CommandError, match="No election"):
        call_command("simulate", "--election", "nowhere", "--rate", "1")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simulate_through_a_running_servers_api_uses_a_token_it_revokes(
    live_server: Any, open_vote: Election, official: User
) -> None:
    _simulate(open_vote, "--url", live_server.url)
    assert TallySheet.objects.filter(station__election=open_vote).exists()
    issued = AuditEvent.objects.get(action="api_token.issue")
    revoked = AuditEvent.objects.get(action="api_token.revoke")
    assert issued.object_id == revoked.object_id
    # The entries came through the API: their audit events carry the client's address.
    assert AuditEvent.objects.filter(action__startswith="tally_sheet", client_address="127.0.0.1").exists()


class _Undo(Exception):
    """Raised to roll a simulated night back, so that the next one starts from the same fresh data."""


def _entered_numbers(election: Election) -> dict[tuple[str, str], tuple[object, ...]]:
    """Every current tally sheet's numbers, by station code and contest, with the votes by candidate name."""
    sheets = TallySheet.objects.filter(station__election=election, status__in=TallySheet.CURRENT_STATUSES)
    return {
        (sheet.station.code, sheet.contest.slug): (
            sheet.ballots_cast,
            sheet.blank,
            sheet.invalid,
            sorted((vote.candidate.name_en, vote.votes) for vote in sheet.votes.select_related("candidate")),
        )
        for sheet in sheets.select_related("station", "contest")
    }


def _night_on_fresh_data(election: Election, *extra: str) -> dict[tuple[str, str], tuple[object, ...]]:
    """The numbers one simulated night enters, after which the database is as it was before it."""
    entered: dict[tuple[str, str], tuple[object, ...]] = {}
    try:
        with transaction.atomic():
            call_command(
                "simulate", "--election", election.slug, "--rate", "1000", "--sheets", "3", *extra, stdout=StringIO()
            )
            entered = _entered_numbers(election)
            raise _Undo
    except _Undo:
        pass
    assert not TallySheet.objects.filter(station__election=election).exists()
    return entered


@pytest.mark.django_db
def test_the_same_seed_on_fresh_data_enters_the_same_numbers_and_another_seed_does_not(
    open_vote: Election, official: User
) -> None:
    first = _night_on_fresh_data(open_vote)
    assert len(first) == 3
    # Without --seed the fixed default applies, so the demo's story is the same on every run.
    assert _night_on_fresh_data(open_vote) == first
    assert _night_on_fresh_data(open_vote, "--seed", str(DEFAULT_SEED)) == first
    assert _night_on_fresh_data(open_vote, "--seed", "99") != first


@pytest.mark.django_db
def test_stations_assigned_to_a_named_clerk_are_left_for_that_clerk(
    open_vote: Election, official: User, clerk: User
) -> None:
    out = StringIO()
    call_command(
        "simulate", "--election", open_vote.slug, "--rate", "1000", "--sheets", "4", "--skip-assigned-to", "clerk",
        stdout=out,
    )  # fmt: skip
    entered = {code for code, _contest in _entered_numbers(open_vote)}
    assert entered == {"N-002", "S-001"}
    assert "Left alone, for their clerk to enter: N-001." in out.getvalue()
    with pytest.raises(CommandError, match="nobody"):
        call_command("simulate", "--election", open_vote.slug, "--rate", "1", "--skip-assigned-to", "nobody")


@pytest.mark.django_db
def test_stations_of_other_elections_are_entered_whoever_is_assigned(
    open_vote: Election, official: User, clerk: User
) -> None:
    # The demo clerk is left alone only in the demo's elections; a clerk of the same name elsewhere is not.
    call_command("simulate", "--election", open_vote.slug, "--rate", "1000", "--sheets", "3", stdout=StringIO())
    assert {code for code, _contest in _entered_numbers(open_vote)} == {"N-001", "N-002", "S-001"}


@pytest.mark.django_db
def test_the_demo_clerks_boxes_are_left_alone_unless_every_station_is_asked_for() -> None:
    call_command("seed_demo", stdout=StringIO())
    demo = Election.objects.get(slug=DEMO_ELECTION_SLUG)
    clerk_boxes = set(list_demo_clerk_station_codes())
    assert len(clerk_boxes) == 3
    scopes = list_contest_station_ids(election_id=demo.pk)
    codes = dict(demo.stations.values_list("pk", "code"))
    pairs = {(codes[box], contest) for contest, boxes in scopes.items() for box in boxes}
    others = {pair for pair in pairs if pair[0] not in clerk_boxes}

    # One full round of every box but the clerk's: all of them are entered, none of the clerk's.
    call_command(
        "simulate", "--election", demo.slug, "--publish", "--rate", "1000", "--sheets", str(len(others)),
        stdout=StringIO(),
    )  # fmt: skip
    entered = set(_entered_numbers(demo))
    contest_slugs = dict(demo.contests.values_list("pk", "slug"))
    assert entered == {(code, contest_slugs[contest]) for code, contest in others}

    call_command(
        "simulate", "--election", demo.slug, "--include-all", "--rate", "1000", "--sheets", str(len(pairs)),
        stdout=StringIO(),
    )  # fmt: skip
    assert {code for code, _slug in _entered_numbers(demo)} >= clerk_boxes
