"""``verify_tallies`` agrees with a correct cache and lists every difference of a wrong one."""

from __future__ import annotations

import copy
from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import CommandError, call_command

from elections.models import Contest, Election, PollingStation
from results.services import snapshot_key
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db


def test_verify_tallies_passes_on_a_fresh_snapshot_and_lists_an_injected_difference(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[40, 60], key=new_key())
    out = StringIO()
    call_command("verify_tallies", "--election", published.slug, stdout=out)
    assert "equals a recount" in out.getvalue()

    wrong = copy.deepcopy(cache.get(snapshot_key(published.slug)))
    wrong["contests"][0]["totals"]["candidates"][0]["votes"] = 41
    wrong["contests"][0]["totals"]["blank"] = 2
    cache.set(snapshot_key(published.slug), wrong)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_tallies", stdout=out)
    report = out.getvalue()
    assert "contests[0].totals.candidates[0].votes: 40 != 41" in report
    assert "contests[0].totals.blank: 0 != 2" in report


def test_verify_tallies_refuses_an_unknown_election(db: None) -> None:
    with pytest.raises(CommandError):
        call_command("verify_tallies", "--election", "nope", stdout=StringIO())
