"""Digests of the entry rows each audit event wrote, so that a row changed in the database with no event is found.

An app whose entries must be traceable registers the models its entries write (``register_entry_rows``, from its
``AppConfig.ready``); trust imports no app. A row's digest covers every concrete column of the row and of the rows
that hang from it in the same app (a tally sheet's votes, a ballot's marks and void), read generically with
``values()``, so columns and child tables added later are covered with no change here.

Rows change legitimately: a new version supersedes a sheet by changing its status, a count is completed and reopened.
So an event's digest is the row as that event left it, and only the latest event that wrote a row says what the row
must be now. Every registered row an entry saves is digested with the entry's events, also a row that is no event's
object (a superseded version). ``check_entry_rows`` compares, row by row, the latest digest with the row as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models.signals import post_save

from trust.models import AuditEvent

# Rows read per query when digesting; keeps each ``IN (...)`` list and each result small.
CHUNK = 500


@dataclass(frozen=True)
class EntryRowsModel:
    """A registered model and its child rows: each child model with the column holding the registered row's key."""

    model: type[models.Model]
    children: tuple[tuple[type[models.Model], str], ...]


@dataclass
class WrittenRows:
    """The registered rows saved inside one entry, by key, and those of them the entry created."""

    written: set[str] = field(default_factory=set)
    created: set[str] = field(default_factory=set)


_registered: dict[str, EntryRowsModel] = {}
# A child model's rows are digested with their parent's: (the parent's label, the child's column holding its key).
_parents: dict[type[models.Model], tuple[str, str]] = {}
_written: ContextVar[WrittenRows | None] = ContextVar("entry_rows_written", default=None)


def register_entry_rows(*roots: type[models.Model]) -> None:
    """Digest the rows of ``roots`` with the audit events that write them, each with its child rows: those of the
    same app's models with a key to it. Call from ``AppConfig.ready``; registering twice is harmless."""
    for model in roots:
        label = model._meta.label_lower
        children = tuple(
            (related, relation.field.attname)
            for relation in model._meta.related_objects
            if not relation.many_to_many
            and isinstance(related := relation.related_model, type)
            and related._meta.app_label == model._meta.app_label
        )
        _registered[label] = EntryRowsModel(model=model, children=children)
        post_save.connect(_note_saved_row, sender=model, dispatch_uid=f"trust.rows:{label}")
        for child, column in children:
            _parents[child] = (label, column)
            post_save.connect(_note_saved_row, sender=child, dispatch_uid=f"trust.rows:{child._meta.label_lower}")


def row_key(obj: models.Model) -> str | None:
    """``"app.model:pk"`` of a registered row, or of the registered row a child row belongs to; None otherwise."""
    label = obj._meta.label_lower
    if label in _registered:
        return f"{label}:{obj.pk}"
    parent = _parents.get(obj._meta.model)
    if parent is None:
        return None
    parent_pk = getattr(obj, parent[1])
    return None if parent_pk is None else f"{parent[0]}:{parent_pk}"


@contextmanager
def noting_written_rows() -> Iterator[WrittenRows]:
    """Collect the keys of the registered rows saved inside this block (``Model.save``, ``create``, ``get_or_create``;
    ``bulk_create`` sends no signal, which is why child rows are digested through their parent)."""
    rows = WrittenRows()
    token = _written.set(rows)
    try:
        yield rows
    finally:
        _written.reset(token)


def _note_saved_row(sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any) -> None:
    rows = _written.get()
    if rows is None:
        return
    key = row_key(instance)
    if key is None:
        return
    rows.written.add(key)
    if created and instance._meta.label_lower in _registered:
        rows.created.add(key)


def _canonical_digest(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _digest_chunk(label: str, entry: EntryRowsModel, pks: list[Any]) -> dict[str, str]:
    model = entry.model
    columns = [f.attname for f in model._meta.concrete_fields]
    found: dict[Any, dict[str, Any]] = defaultdict(lambda: {"row": None, "children": {}})
    for row in model._base_manager.filter(pk__in=pks).values(*columns):
        found[row[model._meta.pk.attname]]["row"] = row
    for child, column in entry.children:
        child_columns = [f.attname for f in child._meta.concrete_fields]
        for row in child._base_manager.filter(**{f"{column}__in": pks}).order_by("pk").values(*child_columns):
            found[row[column]]["children"].setdefault(child._meta.label_lower, []).append(row)
    return {f"{label}:{pk}": _canonical_digest(found[pk]) for pk in pks}


def digest_rows(keys: Iterable[str]) -> dict[str, str]:
    """The current digest of each row named by ``keys``; a key of a model no longer registered gets an empty one,
    which matches no stored digest."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        label, _, raw_pk = key.rpartition(":")
        by_label[label].append(raw_pk)
    digests: dict[str, str] = {}
    for label, raw_pks in by_label.items():
        entry = _registered.get(label)
        if entry is None:
            digests.update({f"{label}:{raw}": "" for raw in raw_pks})
            continue
        pks = [entry.model._meta.pk.to_python(raw) for raw in raw_pks]
        for start in range(0, len(pks), CHUNK):
            digests.update(_digest_chunk(label, entry, pks[start : start + CHUNK]))
    return digests


def rows_digest_value(keys: Iterable[str], digests: dict[str, str], created: set[str]) -> dict[str, Any] | None:
    """What an event stores in ``rows_digest``: ``{"rows": {key: digest}, "created": [keys]}`` (``created``: the rows
    the entry inserted, only when there are any), or None when the event wrote no registered row."""
    rows = {key: digests[key] for key in sorted(set(keys))}
    if not rows:
        return None
    value: dict[str, Any] = {"rows": rows}
    inserted = sorted(created & rows.keys())
    if inserted:
        value["created"] = inserted
    return value


@dataclass(frozen=True)
class ChangedRow:
    event_id: int
    row: str


@dataclass(frozen=True)
class EntryRowsReport:
    """Rows that no longer match the latest event that wrote them (oldest event first), and rows of a registered
    model that no event wrote (lowest key first)."""

    changed: list[ChangedRow]
    unaudited: list[str]


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Read the events and the rows as of one moment, so an entry committed meanwhile is not taken for a change.
    (Inside a transaction already begun, the caller's isolation stands: PostgreSQL sets it only at the start.)"""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _latest_digests() -> tuple[dict[str, tuple[int, str]], dict[str, Any]]:
    """Per row, the latest event that wrote it and its digest then; per model, the lowest key an event inserted."""
    latest: dict[str, tuple[int, str]] = {}
    first_created: dict[str, Any] = {}
    events = AuditEvent.objects.filter(rows_digest__isnull=False).order_by("id").values_list("id", "rows_digest")
    for event_id, value in events.iterator(chunk_size=2000):
        stored: dict[str, Any] = value or {}
        for key, digest in stored.get("rows", {}).items():
            latest[key] = (event_id, digest)
        for key in stored.get("created", []):
            label, _, raw_pk = key.rpartition(":")
            entry = _registered.get(label)
            if entry is not None:
                pk = entry.model._meta.pk.to_python(raw_pk)
                first_created[label] = min(pk, first_created.get(label, pk))
    return latest, first_created


def _unaudited_rows(latest: dict[str, tuple[int, str]], first_created: dict[str, Any]) -> list[str]:
    """Rows inserted since entries were first digested that no event wrote. Older rows predate digests: ids follow
    insertion, so every row at or above the first one an entry inserted with a digest must have an event."""
    unaudited: list[str] = []
    for label, lowest in sorted(first_created.items()):
        model = _registered[label].model
        for pk in model._base_manager.filter(pk__gte=lowest).order_by("pk").values_list("pk", flat=True).iterator():
            if f"{label}:{pk}" not in latest:
                unaudited.append(f"{label}:{pk}")
    return unaudited


def check_entry_rows() -> EntryRowsReport:
    """Compare every registered row with the digest of the latest event that wrote it, and look for rows no event
    wrote. Events without a digest (older than digests, or writing no entry row) are not checked."""
    with _one_snapshot():
        latest, first_created = _latest_digests()
        current = digest_rows(latest)
        changed = sorted(
            (
                ChangedRow(event_id=event_id, row=key)
                for key, (event_id, digest) in latest.items()
                if current[key] != digest
            ),
            key=lambda change: (change.event_id, change.row),
        )
        return EntryRowsReport(changed=changed, unaudited=_unaudited_rows(latest, first_created))
