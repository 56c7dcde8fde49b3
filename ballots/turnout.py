"""Turnout reports: voters who have voted so far at a station, never decreasing, never above registered voters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.entry import Actor, lock_station, record_change, require_entry_window, require_user, station_id_of
from ballots.models import TurnoutReport
from elections.models import PollingStation
from trust.errors import EntryRejected
from trust.idempotency import Recorded, run_idempotently

# Devices' clocks drift; a report a little ahead of the server's clock is still "now".
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def _validate_turnout(station: PollingStation, voters: int, at: dt.datetime) -> None:
    if not isinstance(voters, int) or isinstance(voters, bool):
        raise EntryRejected(_("Enter a whole number."), code="not_a_number", details={"field": "voters"})
    if voters < 0:
        raise EntryRejected(_("This cannot be negative."), code="negative", details={"field": "voters"})
    if voters > station.registered_voters:
        raise EntryRejected(
            _("Turnout (%(voters)d) cannot exceed the %(registered)d registered voters.")
            % {"voters": voters, "registered": station.registered_voters},
            code="turnout_above_registered",
            details={"field": "voters", "registered_voters": station.registered_voters},
        )
    if timezone.is_naive(at) or at > timezone.now() + CLOCK_TOLERANCE:
        raise EntryRejected(_("Give a time that is not in the future."), code="time_invalid", details={"field": "at"})
    reports = TurnoutReport.objects.filter(station=station)
    earlier = reports.filter(at__lte=at).aggregate(most=Max("voters"))["most"]
    later = reports.filter(at__gt=at).aggregate(least=Min("voters"))["least"]
    if (earlier is not None and voters < earlier) or (later is not None and voters > later):
        raise EntryRejected(
            _("Turnout cannot decrease: %(earlier)s voters were already reported by this time.")
            % {"earlier": earlier if earlier is not None else later},
            code="turnout_decreasing",
            details={"field": "voters", "earlier": earlier, "later": later},
        )


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
    user = require_user(actor)
    reported_at = timezone.now()
    at_time = at or reported_at

    def perform() -> tuple[TurnoutReport, int, dict[str, Any]]:
        _user, locked = lock_station(station, user)
        require_entry_window(user, locked)
        _validate_turnout(locked, voters, at_time)
        report = TurnoutReport.objects.create(
            station=locked,
            voters=voters,
            at=at_time,
            reported_by=user,
            reported_at=reported_at,
            idempotency_key=idempotency_key,
        )
        body = {"turnout_id": report.pk, "station_id": locked.pk, "voters": voters, "at": at_time.isoformat()}
        record_change(
            action="turnout.report",
            obj=report,
            user=user,
            station=locked,
            before=None,
            after=body,
            client_address=client_address,
            idempotency_key=idempotency_key,
        )
        return report, 201, body

    # Without an explicit time a replay must still match, so the time is left out of the fingerprint then.
    payload = {"station": station_id_of(station), "voters": voters, "at": at.isoformat() if at is not None else None}
    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation="turnout.report",
        fingerprint_payload=payload,
        perform=perform,
        load=lambda body: TurnoutReport.objects.get(pk=body["turnout_id"]),
    )
