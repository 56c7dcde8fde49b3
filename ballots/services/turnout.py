"""Turnout reports: voters who have voted so far at a station, never decreasing, never above registered voters."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ballots.models import TurnoutReport
from ballots.rules import require_entry_time, validate_turnout
from ballots.services.locking import station_id_of
from ballots.services.operation import EntryOperation, run_entry
from elections.models import PollingStation
from trust.idempotency import Answer, Recorded
from trust.roles import Actor


def report_turnout(
    *,
    station: PollingStation | int,
    voters: int,
    actor: Actor,
    idempotency_key: str,
    at: dt.datetime | None = None,
    client_address: str | None = None,
) -> Recorded[TurnoutReport]:
    """Report how many voters have voted so far at ``station`` (at ``at``, or now). ``station`` may be given by id:
    it is read under the lock either way."""
    reported_at = timezone.now()
    at_time = reported_at if at is None else require_entry_time(at)

    def perform(entry: EntryOperation) -> Answer[TurnoutReport]:
        validate_turnout(entry.station, voters, at_time)
        report = TurnoutReport.objects.create(
            station=entry.station,
            voters=voters,
            at=at_time,
            reported_by=entry.user,
            reported_at=reported_at,
            idempotency_key=idempotency_key,
        )
        body = {"turnout_id": report.pk, "station_id": entry.station.pk, "voters": voters, "at": at_time.isoformat()}
        entry.record_change(action="turnout.report", obj=report, before=None, after=body)
        return Answer(obj=report, created=True, body=body)

    # Without an explicit time a replay must still match, so the time is left out of the fingerprint then.
    request = {"station": station_id_of(station), "voters": voters, "at": at.isoformat() if at is not None else None}
    return run_entry(
        operation="turnout.report",
        station=station,
        actor=actor,
        idempotency_key=idempotency_key,
        client_address=client_address,
        request=request,
        perform=perform,
        load=lambda body: TurnoutReport.objects.get(pk=body["turnout_id"]),
    )
