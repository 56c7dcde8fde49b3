"""The append-only, hash-chained audit log: appending an event and verifying the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, models, transaction
from django.utils import timezone

from ballots.models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
AUDIT_CHAIN_LOCK_ID = 0x766F7465


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
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def compute_event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(event.prev_hash.encode() + _canonical_payload(event)).hexdigest()


def _lock_chain() -> None:
    """Serialise appends so the chain stays one line even under concurrent writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK_ID])
    # SQLite transactions start IMMEDIATE (see settings), which already serialises writers.


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
) -> AuditEvent:
    """Append one event to the audit log. Must run inside the transaction that makes the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_audit_event must be called inside the transaction that makes the change")
    _lock_chain()
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
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
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = compute_event_hash(event)
    event.save(force_insert=True)
    return event


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
