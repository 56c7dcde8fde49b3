"""The station lock every entry takes first, so that the entries of one station are made one at a time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import connection, models
from django.utils.translation import gettext as _

from elections.models import District, Election, PollingStation
from elections.selectors import list_stations_for_user, works_at
from trust.errors import NotAllowed
from trust.roles import is_official


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


def lock_stations(station_ids: Iterable[int], user: User) -> dict[int, PollingStation]:
    """Lock many stations at once, in the order of their ids (so that two batches, and a batch and single entries,
    which lock one station, never wait for each other in a circle), and return, by id, those ``user`` may work on,
    as read under the lock with their election and district. Unknown ids and stations not the user's are left out
    alike (see ``StationNotFound``)."""
    ids = sorted(set(station_ids))
    if not ids:
        return {}
    locked = _read_stations_locked(ids)
    if is_official(user):
        return locked
    workable = set(list_stations_for_user(user).filter(pk__in=ids).values_list("pk", flat=True))
    return {pk: station for pk, station in locked.items() if pk in workable}


def _locking_query(where: str = "s.id = %s", order: str = "") -> str:
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
        f"WHERE {where}{order} FOR NO KEY UPDATE OF s FOR SHARE OF e"
    )


_LOCKING_QUERY = _locking_query()
# Rows are locked as they are returned, so in the order of their ids.
_LOCKING_MANY_QUERY = _locking_query("s.id = ANY(%s)", " ORDER BY s.id")
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
    return _station_from_row(row)


def _station_from_row(row: tuple[Any, ...]) -> PollingStation:
    locked, end = _from_row(PollingStation, row, 0)
    locked.election, end = _from_row(Election, row, end)
    locked.district, _end = _from_row(District, row, end)
    return locked


def _read_stations_locked(station_ids: list[int]) -> dict[int, PollingStation]:
    """Many stations as ``_read_station_locked`` reads one; the elections they share are one object each."""
    if connection.vendor != "postgresql":
        return PollingStation.objects.select_related("election", "district").in_bulk(station_ids)
    with connection.cursor() as cursor:
        cursor.execute(_LOCKING_MANY_QUERY, [station_ids])
        rows = cursor.fetchall()
    found: dict[int, PollingStation] = {}
    elections: dict[int, Election] = {}
    for row in rows:
        station = _station_from_row(row)
        station.election = elections.setdefault(station.election_id, station.election)
        found[station.pk] = station
    return found
