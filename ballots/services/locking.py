"""The station lock every entry takes first, so that the entries of one station are made one at a time."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import connection, models
from django.utils.translation import gettext as _

from elections.models import District, Election, PollingStation
from elections.selectors import works_at
from trust.errors import NotAllowed


def station_id_of(station: PollingStation | int) -> int:
    return station if isinstance(station, int) else station.pk


class StationNotFound(NotAllowed):
    """The station does not exist, or the acting user may not work on it: the two are told apart to nobody, so that
    station ids cannot be probed for which exist."""

    code = "not_found"


def lock_station(station: PollingStation | int, user: User) -> PollingStation:
    """Lock ``station`` (an object or its id) and check ``user`` may work on it. Returns the station as read under
    the lock, with its election and district; raises ``StationNotFound`` alike for an unknown id and for a station
    the user may not work on. The check follows the lock: it reads the locked row, and a refusal rolls the lock back
    with the rest of the transaction."""
    try:
        locked = _read_station_locked(station_id_of(station))
    except PollingStation.DoesNotExist:
        locked = None
    if locked is None or not works_at(user, locked):
        raise StationNotFound(_("There is no such polling station."), details={"field": "station"})
    return locked


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
