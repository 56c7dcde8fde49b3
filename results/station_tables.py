"""The station tables of the contest and district pages as sortable tables: which columns sort, in what order, and
the numbers each row sorts by.

The page sorts on the server from ``?sort=<column>&dir=asc|desc`` (links that work without JavaScript); the table
script sorts the same rows in the browser by the same numbers, which each row carries in ``data-`` attributes, so both
give one order. A missing number (a station not reported, registered voters unknown) sorts last either way; rows
that sort equal keep the order of their station codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from results.presentation import Lookup, shown_name
from results.snapshot import SnapshotContest
from results.station_search import station_search_text

ASCENDING, DESCENDING = "asc", "desc"
# The columns every station table has; each candidate's votes sort as ``c<candidate id>``.
FIXED_KEYS = ("station", "registered", "ballots", "leader")
# Text columns read A to Z first; number columns, largest first.
TEXT_KEYS = frozenset({"station", "leader"})
MAX_KEY_LENGTH = 24


class TableSort(NamedTuple):
    """How a page's station tables are sorted: a column key and a direction."""

    key: str
    direction: str

    @property
    def descending(self) -> bool:
        return self.direction == DESCENDING


DEFAULT_SORT = TableSort("station", ASCENDING)


def parse_table_sort(query: Mapping[str, str]) -> TableSort:
    """The sort a page's address asks for. A value that names no column of any table, or no direction, is ignored:
    the page keeps its usual order (the stations by code), as for an address without them."""
    key = str(query.get("sort", ""))[:MAX_KEY_LENGTH]
    direction = str(query.get("dir", ""))
    if not (key in FIXED_KEYS or (key[:1] == "c" and key[1:].isdigit())):
        return DEFAULT_SORT
    if direction not in (ASCENDING, DESCENDING):
        direction = ASCENDING if key in TEXT_KEYS else DESCENDING
    return TableSort(key, direction)


def _vote_keys(contest: SnapshotContest) -> list[str]:
    return [f"c{candidate['id']}" for candidate in contest["candidates"]]


def _leader_ranks(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Each leading name's place from A to Z: stations then sort by who leads them, in the reader's language."""
    names = sorted({row["leader"] for row in rows if row["leader"]}, key=lambda name: (name.casefold(), name))
    return {name: place for place, name in enumerate(names)}


def _leader_value(row: dict[str, Any], measure: bool, ranks: dict[str, int]) -> float | None:
    """What the last column sorts by: a measure's "Yes" share; else the leader's name from A to Z, then the stations
    with a tie, then those quarantined; nothing for a station without votes."""
    if not row["reported"]:
        return None
    votes = row["votes"]
    if measure:
        return round(votes[0] / sum(votes), 6) if votes and sum(votes) else None
    if row["quarantined"]:
        return len(ranks) + 1
    if row["tied_names"]:
        return len(ranks)
    return ranks.get(row["leader"])


def add_sort_values(rows: list[dict[str, Any]], contest: SnapshotContest, lookup: Lookup) -> list[dict[str, Any]]:
    """``station_rows`` with what each sorts and filters by: ``sort_values`` per column key (None when missing) and
    ``search`` (its code and names in both languages, as the filter box compares them)."""
    measure = contest["kind"] == "measure"
    ranks = _leader_ranks(rows)
    vote_keys = _vote_keys(contest)
    by_code = {station["code"]: station for station in lookup.snapshot["stations"]}
    shown = []
    for index, row in enumerate(rows):
        values: dict[str, float | None] = {
            "station": index,
            "registered": row["registered_voters"],
            "ballots": row["ballots_cast"] if row["reported"] else None,
            "leader": _leader_value(row, measure, ranks),
        }
        for key, votes in zip(vote_keys, row["votes"] or [None] * len(vote_keys), strict=True):
            values[key] = votes
        station = by_code.get(row["code"])
        search = station_search_text(station) if station else row["code"]
        shown.append({**row, "sort_values": values, "votes_text": " ".join(map(str, row["votes"])), "search": search})
    return shown


def sort_rows(rows: list[dict[str, Any]], sort: TableSort) -> list[dict[str, Any]]:
    """Rows (from ``add_sort_values``) in the order ``sort`` asks for; the usual order when no column has its key."""
    if not rows or sort.key not in rows[0]["sort_values"]:
        return rows

    def order(row: dict[str, Any]) -> tuple[bool, float, int]:
        value = row["sort_values"][sort.key]
        if value is None:
            return (True, 0, row["sort_values"]["station"])
        return (False, -value if sort.descending else value, row["sort_values"]["station"])

    return sorted(rows, key=order)


def _aria_sort(key: str, sort: TableSort, keys: list[str]) -> str:
    current = sort if sort.key in keys else DEFAULT_SORT
    if key != current.key:
        return ""
    return "descending" if current.descending else "ascending"


def station_table_columns(contest: SnapshotContest, sort: TableSort, anchor: str) -> list[dict[str, Any]]:
    """The station table's columns, each with its label, whether it holds numbers, its ``aria-sort`` and the address
    that sorts by it (the other way round when it is the sorted column)."""
    measure = contest["kind"] == "measure"
    columns: list[dict[str, Any]] = [
        {"key": "station", "label": _("Polling station"), "num": False},
        {"key": "registered", "label": _("Registered"), "num": True},
        {"key": "ballots", "label": _("Ballots cast"), "num": True},
    ]
    for key, candidate in zip(_vote_keys(contest), contest["candidates"], strict=True):
        name, write_in = shown_name(candidate)
        columns.append({"key": key, "label": name, "write_in": write_in, "num": True, "candidate": True})
    columns.append({"key": "leader", "label": _("Yes share") if measure else _("Leading"), "num": measure})
    keys = [column["key"] for column in columns]
    for column in columns:
        aria = _aria_sort(column["key"], sort, keys)
        first = ASCENDING if column["key"] in TEXT_KEYS else DESCENDING
        # The sorted column's link turns it round; any other sorts it its usual way first.
        direction = (ASCENDING if aria == "descending" else DESCENDING) if aria else first
        column["aria_sort"] = aria
        column["href"] = f"?sort={column['key']}&dir={direction}#{anchor}"
    return columns


def station_table(
    lookup: Lookup, contest: SnapshotContest, rows: list[dict[str, Any]], sort: TableSort, anchor: str
) -> dict[str, Any]:
    """A station table as the template draws it: its columns, its rows in order, and the id it is reached by."""
    return {
        "id": anchor,
        "columns": station_table_columns(contest, sort, anchor),
        "rows": sort_rows(add_sort_values(rows, contest, lookup), sort),
    }
