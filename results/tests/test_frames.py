"""Update frames: a station map is sent whole once, then only as the stations whose state changed."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from elections.models import Contest, Election, PollingStation
from results.frames import language_frame
from results.services import rebuild_snapshot
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db

MAP = "map-mayor"


@pytest.fixture
def placed(published: Election) -> Election:
    for index, station in enumerate(published.stations.order_by("code")):
        PollingStation.objects.filter(pk=station.pk).update(latitude=31.9 + index / 100, longitude=35.9 + index / 50)
    return published


def frame_after(election: Election, last: dict) -> tuple[dict, dict]:
    with translation.override("en"):
        return language_frame(rebuild_snapshot(election=election), last)


def test_a_station_reporting_sends_its_dot_not_the_map(
    placed: Election,
    station: PollingStation,
    other_station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    enter_sheet(station=other_station, contest=contest, actor=official, votes=[40, 60], key=new_key())
    first, state = frame_after(placed, {})
    assert MAP in first["parts"]  # a viewer's first frame has the whole map
    leader_colour = state["dots"][MAP][other_station.code][0]

    # The same candidate leads at a second station: the legend is unchanged, so only that dot travels.
    enter_sheet(station=station, contest=contest, actor=official, votes=[10, 90], key=new_key())
    second, state = frame_after(placed, state)
    assert MAP not in second["parts"]
    assert MAP in second["live"]
    assert list(second["dots"]) == [MAP]
    colour, status, label = second["dots"][MAP][station.code]
    assert (colour, status) == (leader_colour, "reported")
    assert label.startswith(f"{station.code} ")
    assert set(second["dots"][MAP]) == {station.code}
    assert len(json.dumps(second["dots"])) < 200

    # A candidate leading for the first time joins the legend: the map is sent whole again.
    enter_sheet(station=south_station, contest=contest, actor=official, votes=[90, 10], key=new_key())
    third, _ = frame_after(placed, state)
    assert MAP in third["parts"]
    assert MAP not in third["dots"]


def test_an_unchanged_recount_sends_no_map_at_all(placed: Election) -> None:
    _first, state = frame_after(placed, {})
    again, _ = frame_after(placed, state)
    assert set(again["parts"]) == {"summary"}  # it names the time of the count
    assert again["dots"] == {}
