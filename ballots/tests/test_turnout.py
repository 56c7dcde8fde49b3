"""Turnout reports never decrease over time and never exceed the registered voters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from ballots.models import TurnoutReport
from ballots.selectors import get_station_turnout, list_turnout, list_turnout_history
from ballots.services import report_turnout
from elections.models import Election, PollingStation
from trust.errors import EntryRejected, NotAllowed

pytestmark = pytest.mark.django_db


def _report(station: PollingStation, clerk: User, voters: int, key: str, at: dt.datetime | None = None) -> None:
    report_turnout(station=station, voters=voters, actor=clerk, idempotency_key=key, at=at)


def test_turnout_grows_and_the_latest_report_is_shown(
    open_vote: Election, station: PollingStation, clerk: User
) -> None:
    now = timezone.now()
    _report(station, clerk, 100, "turnout-01", now - dt.timedelta(hours=2))
    _report(station, clerk, 100, "turnout-02", now - dt.timedelta(hours=1))
    _report(station, clerk, 250, "turnout-03")
    assert get_station_turnout(station=station).voters == 250  # type: ignore[union-attr]
    assert list_turnout(election=open_vote)[station.pk].voters == 250
    assert [t.voters for t in list_turnout_history(station=station)] == [100, 100, 250]


def test_turnout_never_decreases(open_vote: Election, station: PollingStation, clerk: User) -> None:
    now = timezone.now()
    _report(station, clerk, 300, "turnout-04", now - dt.timedelta(hours=1))
    with pytest.raises(EntryRejected) as refused:
        _report(station, clerk, 299, "turnout-05", now)
    assert (refused.value.code, refused.value.details["field"]) == ("turnout_decreasing", "voters")
    # A late report for an earlier time may not be above what was reported after it.
    with pytest.raises(EntryRejected):
        _report(station, clerk, 301, "turnout-06", now - dt.timedelta(hours=2))
    assert TurnoutReport.objects.count() == 1


@pytest.mark.parametrize(
    ("voters", "field", "code"), [(801, "voters", "turnout_above_registered"), (-1, "voters", "negative")]
)
def test_turnout_outside_the_registered_voters_is_refused(
    open_vote: Election, station: PollingStation, clerk: User, voters: int, field: str, code: str
) -> None:
    with pytest.raises(EntryRejected) as refused:
        _report(station, clerk, voters, "turnout-07")
    assert (refused.value.code, refused.value.details["field"]) == (code, field)


def test_turnout_in_the_future_is_refused(open_vote: Election, station: PollingStation, clerk: User) -> None:
    with pytest.raises(EntryRejected) as refused:
        _report(station, clerk, 10, "turnout-08", timezone.now() + dt.timedelta(hours=1))
    assert refused.value.details == {"field": "at"}


def test_turnout_of_another_station_is_refused(open_vote: Election, other_station: PollingStation, clerk: User) -> None:
    with pytest.raises(NotAllowed):
        _report(other_station, clerk, 10, "turnout-09")


def test_a_replayed_turnout_report_is_counted_once(open_vote: Election, station: PollingStation, clerk: User) -> None:
    _report(station, clerk, 10, "turnout-10")
    _report(station, clerk, 10, "turnout-10")
    assert TurnoutReport.objects.count() == 1


def test_a_time_with_an_offset_the_database_cannot_store_is_kept_in_utc(
    open_vote: Election, station: PollingStation, clerk: User
) -> None:
    # Python allows offsets up to ±23:59; PostgreSQL stores at most ±15:59 and used to answer with a 500.
    far_east = dt.timezone(dt.timedelta(hours=23, minutes=59))
    at = (timezone.now() - dt.timedelta(hours=1)).astimezone(far_east)
    _report(station, clerk, 120, "turnout-far-offset", at)
    stored = TurnoutReport.objects.get()
    assert stored.at == at
    assert stored.at.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "at",
    [
        dt.datetime(1, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))),
        dt.datetime(2026, 1, 1, 12, 0),  # no time zone
    ],
)
def test_a_time_outside_the_calendar_or_without_a_zone_is_refused(
    open_vote: Election, station: PollingStation, clerk: User, at: dt.datetime
) -> None:
    with pytest.raises(EntryRejected) as refused:
        _report(station, clerk, 120, "turnout-bad-time", at)
    assert (refused.value.code, refused.value.details["field"]) == ("time_invalid", "at")
    assert not TurnoutReport.objects.exists()
