"""The fields added to audit events (the rows' digest, how the actor signed in) are hashed when present, and only
then: an event written before they existed verifies as it always did."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from trust.audit import GENESIS_HASH, compute_event_hash
from trust.models import AuditEvent


def _event(**extra: object) -> AuditEvent:
    return AuditEvent(
        at=dt.datetime(2026, 11, 3, 20, 0, tzinfo=dt.UTC),
        actor_id=7,
        actor_name="clerk",
        client_address="192.0.2.1",
        action="turnout.report",
        object_type="ballots.turnoutreport",
        object_id="12",
        object_repr="N-001: 40 at 20:00",
        election_id=1,
        before=None,
        after={"voters": 40},
        idempotency_key="key-00000001",
        prev_hash=GENESIS_HASH,
        **extra,
    )


def test_an_event_without_the_new_fields_hashes_as_it_always_did() -> None:
    # The canonical payload as it was before digests and sign-in records, written out.
    payload = {
        "at": "2026-11-03T20:00:00+00:00",
        "actor_id": 7,
        "actor_name": "clerk",
        "client_address": "192.0.2.1",
        "action": "turnout.report",
        "object_type": "ballots.turnoutreport",
        "object_id": "12",
        "object_repr": "N-001: 40 at 20:00",
        "election_id": 1,
        "before": None,
        "after": {"voters": 40},
        "idempotency_key": "key-00000001",
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert compute_event_hash(_event()) == hashlib.sha256(GENESIS_HASH.encode() + encoded).hexdigest()


def test_the_digest_and_the_sign_in_record_are_part_of_the_hash() -> None:
    plain = compute_event_hash(_event())
    digested = compute_event_hash(_event(rows_digest={"rows": {"ballots.turnoutreport:12": "a" * 64}}))
    other_digest = compute_event_hash(_event(rows_digest={"rows": {"ballots.turnoutreport:12": "b" * 64}}))
    by_session = compute_event_hash(_event(authentication={"method": "session"}))
    by_token = compute_event_hash(
        _event(authentication={"method": "token", "token_prefix": "0123456789ab", "token_issued_by": "official"})
    )
    assert len({plain, digested, other_digest, by_session, by_token}) == 5
