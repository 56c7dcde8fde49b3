"""The public stations CSV shows every text cell as text in a spreadsheet, even when a formula hides behind white
space, by the same rule as the election's own exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from elections.models import Candidate, Contest, Election, PollingStation
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("formula", [" =1+1", "\t=1+1", "\n+cmd", "\u00a0@SUM(1,2)", '=HYPERLINK("x")'])
def test_stations_csv_neutralises_formulas_after_white_space(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    client: Client,
    django_capture_on_commit_callbacks,
    formula: str,
) -> None:
    PollingStation.objects.filter(pk=station.pk).update(name=formula)
    first = Candidate.objects.filter(contest=contest).order_by("ballot_order").first()
    assert first is not None
    Candidate.objects.filter(pk=first.pk).update(name_en=formula)
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[3, 4], key=new_key())

    response = client.get(f"/api/v1/results/elections/{published.slug}/stations.csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert rows
    assert {row["station_name"] for row in rows} == {"'" + formula}
    assert "'" + formula in {row["candidate"] for row in rows}
    # Numbers stay numbers: the vote counts are written as they are.
    assert sorted(int(row["votes"]) for row in rows) == [3, 4]
