"""Rules every entry shares: who may act on a station, when an election takes entries, and telling results."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import connection, models
from django.utils.translation import gettext as _

from elections.models import Contest, District, Election, PollingStation
from elections.selectors import list_district_ids_under, list_stations_for_user, supervises
from trust.audit import record_audit_event
from trust.changes import note_results_changed
from trust.errors import EntryRejected, NotAllowed
from trust.roles import Actor, is_official, require_user
from votetracker import metrics


def station_id_of(station: PollingStation | int) -> int:
    return station if isinstance(station, int) else station.pk


def lock_station(station: PollingStation | int, actor: Actor) -> tuple[User, PollingStation]:
    """Lock ``station`` (an object or its id) so that entries for one station are made one at a time, and check
    ``actor`` may work on it. Returns the station as read under the lock, with its election and district; raises
    ``PollingStation.DoesNotExist`` for an unknown id. The check follows the lock: it reads the locked row, and a
    refusal rolls the lock back with the rest of the transaction."""
    user = require_user(actor)
    locked = _read_station_locked(station_id_of(station))
    if not is_official(user) and not list_stations_for_user(user).filter(pk=locked.pk).exists():
        raise NotAllowed(
            _("You are not assigned to polling station %(code)s.") % {"code": locked.code},
            details={"field": "station"},
        )
    return user, locked


def _locking_query() -> str:
    station, election, district = (m._meta for m in (PollingStation, Election, District))
    columns = ", ".join(
        f'{alias}."{field.column}"'
        for alias, meta in (("s", station), ("e", election), ("d", district))
        for field in meta.concrete_fields
    )
    # The station's own row for update (NO KEY: rows that merely reference it are not held up), the election's in
    # share mode: a FOR UPDATE over the join would lock the election too and make every entry of the election wait
    # for every other, while a share lock lets entries run side by side and makes a status change (which locks the
    # row for update) wait for them, so no entry commits after its election closed. The election is read under
    # that lock: a status changed meanwhile is seen.
    return (
        f"SELECT {columns} FROM {station.db_table} s "  # noqa: S608 - names from the models, the id a parameter
        f"JOIN {election.db_table} e ON e.id = s.election_id JOIN {district.db_table} d ON d.id = s.district_id "
        "WHERE s.id = %s FOR NO KEY UPDATE OF s FOR SHARE OF e"
    )


_LOCKING_QUERY = _locking_query()
M = TypeVar("M", bound=models.Model)


def _from_row(model: type[M], row: tuple[Any, ...], start: int) -> tuple[M, int]:
    """The ``model`` instance whose columns start at ``start`` in ``row``, and where the next model's start."""
    names = [field.attname for field in model._meta.concrete_fields]
    end = start + len(names)
    return model.from_db(connection.alias, names, row[start:end]), end


def _read_station_locked(station_id: int) -> PollingStation:
    """The station with its election and district, in one statement that takes both locks (see ``_locking_query``).
    SQLite needs no locks: its writers already run one at a time."""
    if connection.vendor != "postgresql":
        return PollingStation.objects.select_related("election", "district").get(pk=station_id)
    with connection.cursor() as cursor:
        cursor.execute(_LOCKING_QUERY, [station_id])
        row = cursor.fetchone()
    if row is None:
        raise PollingStation.DoesNotExist(f"There is no polling station {station_id}.")
    locked, end = _from_row(PollingStation, row, 0)
    locked.election, end = _from_row(Election, row, end)
    locked.district, _end = _from_row(District, row, end)
    return locked


def require_supervisor(user: User, station: PollingStation) -> None:
    if not supervises(user, station):
        raise NotAllowed(
            _("Only a supervisor of this district or an official can do this."), code="supervisor_required"
        )


def require_entry_window(user: User, station: PollingStation) -> bool:
    """Refuse unless the election takes entries; return True when this is a correction after closing."""
    election = station.election
    if election.status == Election.Status.OPEN:
        return False
    if election.status == Election.Status.CLOSED and supervises(user, station):
        return True
    raise EntryRejected(
        _("%(name)s does not accept entries: it is %(status)s.")
        % {"name": election.name, "status": election.get_status_display()},
        code="election_not_open",
        details={"field": "election"},
    )


def require_contest_at_station(contest: Contest, station: PollingStation) -> None:
    """The contest must belong to the station's election and cover the station's district."""
    covers = contest.election_id == station.election_id and (
        contest.district_id is None or station.district_id in list_district_ids_under({contest.district_id})
    )
    if not covers:
        raise EntryRejected(
            _("Contest “%(contest)s” is not voted on at polling station %(code)s.")
            % {"contest": contest.name, "code": station.code},
            code="contest_not_at_station",
            details={"field": "contest"},
        )


def counts_by(election: Election, *, ballots: bool) -> bool:
    """Whether ``election`` counts ballot by ballot (``ballots``) or, otherwise, with tally sheets."""
    return election.counting_method in {
        Election.CountingMethod.BOTH,
        Election.CountingMethod.BALLOTS if ballots else Election.CountingMethod.TALLY_SHEETS,
    }


def is_sheet_correction(*, election: Election, has_current_sheet: bool) -> bool:
    """A sheet entered where one already counts, or after entry closed, is a correction: it needs a reason."""
    return has_current_sheet or election.status != Election.Status.OPEN


def require_counting_method(station: PollingStation, *, ballots: bool) -> None:
    if not counts_by(station.election, ballots=ballots):
        message = (
            _("This election does not count ballot by ballot.")
            if ballots
            else _("This election does not use tally sheets.")
        )
        raise EntryRejected(message, code="counting_method", details={"field": "counting_method"})


def clean_text(text: str, *, field: str = "reason") -> str:
    """Typed text, trimmed. PostgreSQL cannot store the NUL character, so it is refused here, naming the field."""
    if "\x00" in text:
        raise EntryRejected(
            _("This text contains a control character (NUL); remove it."),
            code="text_invalid",
            details={"field": field},
        )
    return text.strip()


def require_reason(reason: str) -> str:
    reason = clean_text(reason)
    if not reason:
        raise EntryRejected(_("Give a reason."), code="reason_required", details={"field": "reason"})
    return reason


def record_change(
    *,
    action: str,
    obj: Any,
    user: User,
    station: PollingStation,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    client_address: str | None,
    idempotency_key: str,
) -> None:
    """Audit the change in this transaction and, once it commits, tell the results side."""
    record_audit_event(
        action=action,
        obj=obj,
        actor=user,
        before=before,
        after=after,
        client_address=client_address,
        idempotency_key=idempotency_key,
        election_id=station.election_id,
    )
    note_results_changed(election_id=station.election_id, election_slug=station.election.slug)
    metrics.count_entry_accepted(action)
