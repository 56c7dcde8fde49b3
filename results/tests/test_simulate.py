"""``manage.py simulate`` enters plausible results through the services, or through a running server's API."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from ballots.models import TallySheet, TurnoutReport
from ballots.tests.conftest import station  # noqa: F401 - fixture
from elections.models import Election
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
