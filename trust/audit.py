"""The append-only, hash-chained audit log: appending an event and verifying the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from trust.authentication import describe_authentication
from trust.models import AuditEvent
from trust.rows import WrittenRows, digest_rows, noting_written_rows, row_key, rows_digest_value

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
AUDIT_CHAIN_LOCK_ID = 0x766F7465
# The statement-level trigger of trust migration 0003 that refuses TRUNCATE of the audit log on PostgreSQL.
AUDIT_TRUNCATE_TRIGGER = "ballots_auditevent_no_truncate"


@dataclass(frozen=True)
class _HeldEvent:
    """An event held back by ``appended_at_end``: the key of the entry row it is about (``trust.rows``), the keys of
    other entry rows it changed that no signal noted (bulk updates), and whether it inserted its row in bulk."""

    event: AuditEvent
    key: str | None
    also: frozenset[str] = frozenset()
    bulk_created: bool = False


# Events of the innermost ``appended_at_end`` block, written when it ends; None outside one.
_pending: ContextVar[list[_HeldEvent] | None] = ContextVar("audit_pending", default=None)


def to_json_value(value: Any) -> Any:
    """Reduce ``value`` to plain JSON (dates, decimals and the like become strings), as it will be stored."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _canonical_payload(event: AuditEvent) -> bytes:
    payload = {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "client_address": event.client_address,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "election_id": event.election_id,
        "before": event.before,
        "after": event.after,
        "idempotency_key": event.idempotency_key,
    }
    # Only when present: events written before these fields existed must hash as they did.
    if event.rows_digest is not None:
        payload["rows_digest"] = event.rows_digest
    if event.authentication is not None:
        payload["authentication"] = event.authentication
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def compute_event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(event.prev_hash.encode() + _canonical_payload(event)).hexdigest()


_APPEND_SQL = (
    "SELECT event_id, event_prev_hash, event_hash FROM ballots_auditevent_append("
    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s::jsonb, %s::jsonb, %s)"
)


def _append_arguments(event: AuditEvent) -> list[Any]:
    return [
        event.at,
        event.actor_id,
        event.actor_name,
        event.client_address,
        event.action,
        event.object_type,
        event.object_id,
        event.object_repr,
        event.election_id,
        _json_or_none(event.before),
        _json_or_none(event.after),
        event.idempotency_key,
        _json_or_none(event.rows_digest),
        _json_or_none(event.authentication),
        _canonical_payload(event),
    ]


def _appended(event: AuditEvent, row: tuple[Any, ...]) -> None:
    event.pk, event.prev_hash, event.hash = row
    event._state.adding, event._state.db = False, connection.alias


def _append(event: AuditEvent) -> None:
    """Chain ``event`` to the last one and insert it; the chain stays one line under concurrent writers.

    On PostgreSQL one call of ``ballots_auditevent_append`` (trust migration 0004) takes the chain's lock, reads the
    last hash, hashes and inserts: one round trip, so writers wait for each other as briefly as possible. The lock is
    held until commit, so ids follow commit order. The function runs as the table's owner, so an application role
    that may not write the table itself still appends through it (``trust.database_roles``). SQLite transactions
    start IMMEDIATE (see settings), which already serialises writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_APPEND_SQL, _append_arguments(event))
            row = cursor.fetchone()
        _appended(event, row)
        return
    event.prev_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    event.hash = compute_event_hash(event)
    event.save(force_insert=True)


def _append_all(events: list[AuditEvent]) -> None:
    """Append ``events`` in order, as ``_append`` does each. On PostgreSQL the calls go in one pipeline (psycopg's
    ``executemany``), each still taking the chain's lock and chaining to the one before; the events' ids and hashes
    are then read back: the chain's lock, held to the commit, keeps the last ones ours."""
    if connection.vendor != "postgresql" or len(events) < 2:
        for event in events:
            _append(event)
        return
    with connection.cursor() as cursor:
        cursor.executemany(_APPEND_SQL, [_append_arguments(event) for event in events])
        cursor.execute(
            f"SELECT id, prev_hash, hash FROM {AuditEvent._meta.db_table} ORDER BY id DESC LIMIT %s",  # noqa: S608 - the model's table
            [len(events)],
        )
        rows = cursor.fetchall()
    for event, row in zip(events, reversed(rows), strict=True):
        _appended(event, row)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _digest_held_rows(held: list[_HeldEvent], rows: WrittenRows) -> None:
    """Give each held event the digest of its rows as the block leaves it. Rows the block saved that are no event's
    object nor named by one (a version superseded by a new one) go with the first event: that is the write that
    changed them. Rows written in bulk send no signal, so their events name them (``record_audit_event``)."""
    own = {item.key for item in held if item.key is not None}
    named: set[str] = set().union(*(item.also for item in held))
    created = rows.created | {item.key for item in held if item.bulk_created and item.key is not None}
    digests = digest_rows(own | named | rows.written)
    for index, item in enumerate(held):
        keys = ({item.key} if item.key is not None else set()) | item.also
        if index == 0:
            keys |= rows.written - own - named
        item.event.rows_digest = rows_digest_value(keys, digests, created)


@contextmanager
def appended_at_end() -> Iterator[None]:
    """Hold back the events recorded inside this block and append them when it ends without an error, so that the
    chain's lock is taken at the end of the transaction and held only until its commit. Use it as the last thing
    inside the transaction's ``atomic`` block; an error discards the held events with the rest of the block. Each
    event carries the digest of the entry rows it wrote, read when the block ends, before the lock is taken."""
    held: list[_HeldEvent] = []
    token = _pending.set(held)
    try:
        with noting_written_rows() as rows:
            yield
    finally:
        _pending.reset(token)
    if held:
        _digest_held_rows(held, rows)
    _append_all([item.event for item in held])


def record_audit_event(
    *,
    action: str,
    obj: models.Model,
    actor: User | AnonymousUser | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    client_address: str | None = None,
    idempotency_key: str = "",
    election_id: int | None = None,
    also_changed: Iterable[models.Model] = (),
    bulk_created: bool = False,
) -> AuditEvent:
    """Append one event to the audit log. Must run inside the transaction that makes the change.

    The event also records how ``actor`` signed in for the current request (``trust.authentication``) and, when
    ``obj`` is an entry row (``trust.rows``), the digest of that row and its child rows. A write made in bulk, which
    sends no signal, names what it did: ``also_changed``, the other entry rows this change updated (the versions a
    new one superseded), and ``bulk_created``, whether ``obj`` was inserted by this change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_audit_event must be called inside the transaction that makes the change")
    user = actor if isinstance(actor, User) else None
    event = AuditEvent(
        at=timezone.now(),
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        client_address=client_address or None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        election_id=election_id,
        before=to_json_value(before) if before is not None else None,
        after=to_json_value(after) if after is not None else None,
        idempotency_key=idempotency_key,
        authentication=describe_authentication(user),
    )
    key = row_key(obj)
    also = frozenset(k for k in map(row_key, also_changed) if k is not None)
    held = _pending.get()
    if held is not None:
        held.append(_HeldEvent(event, key, also, bulk_created))
        return event
    keys = ({key} if key is not None else set()) | also
    if keys:
        created = {key} if bulk_created and key is not None else set()
        event.rows_digest = rows_digest_value(keys, digest_rows(keys), created)
    _append(event)
    return event


@contextmanager
def audit_log_emptiable(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let a TRUNCATE inside this block empty the audit log, for ``manage.py flush`` (which Django's test runner
    calls between transactional tests) and nothing else.

    Emptying the whole database is not a rewrite of the log, and whoever may run it already owns the table, so could
    drop the trigger anyway. The block runs in one transaction: on PostgreSQL the TRUNCATE trigger is disabled inside
    it and enabled again before it commits (DDL is transactional there), so no other session ever sees the log
    unguarded, and an error rolls both back. Outside PostgreSQL there is no such trigger and this is a plain atomic
    block. A log emptied this way is caught by any checkpoint signed before it (``verify_audit --checkpoints``).
    """
    database = connections[using]
    with transaction.atomic(using=using):
        if database.vendor != "postgresql":
            yield
            return
        with database.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = to_regclass(%s)",
                [AUDIT_TRUNCATE_TRIGGER, AuditEvent._meta.db_table],
            )
            # Before trust migration 0003 (or after it is unapplied) there is nothing to lift.
            guarded = cursor.fetchone() is not None
            if guarded:
                cursor.execute(f"ALTER TABLE {AuditEvent._meta.db_table} DISABLE TRIGGER {AUDIT_TRUNCATE_TRIGGER}")
        yield
        if guarded:
            with database.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {AuditEvent._meta.db_table} ENABLE TRIGGER {AUDIT_TRUNCATE_TRIGGER}")


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def find_chain_breaks(events: Iterator[AuditEvent] | None = None) -> ChainBreak | None:
    """Walk the chain from the start; return the first event that does not verify, or None."""
    expected_prev = GENESIS_HASH
    rows = events if events is not None else AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    for event in rows:
        if event.prev_hash != expected_prev:
            return ChainBreak(
                event.pk, "its previous hash does not match the event before it (a row was removed or inserted)"
            )
        if compute_event_hash(event) != event.hash:
            return ChainBreak(event.pk, "its content does not match its hash (the row was edited)")
        expected_prev = event.hash
    return None
