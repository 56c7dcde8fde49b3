"""Reads of turnout: the latest report per station and a station's reports over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max

from ballots.models import TurnoutReport
from elections.models import Election, PollingStation


@dataclass(frozen=True)
class StationTurnout:
    station_id: int
    voters: int
    at: dt.datetime


def get_station_turnout(*, station: PollingStation) -> StationTurnout | None:
    """The latest turnout report of a station, or None."""
    report = TurnoutReport.objects.filter(station=station).order_by("-at", "-voters").first()
    return StationTurnout(station.pk, report.voters, report.at) if report is not None else None


def list_turnout(*, election: Election) -> dict[int, StationTurnout]:
    """The latest turnout per station of ``election`` in one query (reports never decrease, so latest is largest)."""
    rows = (
        TurnoutReport.objects.filter(station__election=election)
        .values("station_id")
        .annotate(latest_voters=Max("voters"), latest_at=Max("at"))
        .order_by()
    )
    return {
        row["station_id"]: StationTurnout(row["station_id"], row["latest_voters"], row["latest_at"]) for row in rows
    }


def list_turnout_history(*, station: PollingStation) -> list[StationTurnout]:
    """Every turnout report of a station, in time order."""
    return [
        StationTurnout(station.pk, voters, at)
        for voters, at in TurnoutReport.objects.filter(station=station)
        .order_by("at", "voters")
        .values_list("voters", "at")
    ]
