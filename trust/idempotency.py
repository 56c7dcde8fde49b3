"""Exactly once: a write made under a client's idempotency key happens once; a replay gets the first answer."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trust.audit import appended_at_end
from trust.errors import EntryRejected
from trust.models import IdempotencyRecord

T = TypeVar("T")

# \Z, not $: "$" also matches before a final line break, which would let a 129-character key through.
KEY_PATTERN = re.compile(r"\A[A-Za-z0-9_.:\-]{8,128}\Z")


@dataclass(frozen=True)
class Answer(Generic[T]):
    """What a write made: the object, whether it is a new entry (rather than a decision about existing ones), and
    the JSON body to answer with. The API picks the HTTP status from ``created``."""

    obj: T
    created: bool
    body: dict[str, Any]


@dataclass(frozen=True)
class Recorded(Answer[T]):
    """A write's answer as stored under its key, and whether this call was a replay of it."""

    replayed: bool


def fingerprint_request(operation: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 over a canonical encoding of the operation and its request body."""
    canonical = json.dumps(
        {"operation": operation, "body": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_valid_key(key: str) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise EntryRejected(
            _("Every entry needs an idempotency key of 8 to 128 letters, digits, dots, dashes or colons."),
            code="idempotency_key_invalid",
            details={"field": "idempotency_key"},
        )
    return key


def _replay(
    record: IdempotencyRecord, *, operation: str, fingerprint: str, load: Callable[[dict[str, Any]], T]
) -> Recorded[T]:
    if record.operation != operation or record.fingerprint != fingerprint:
        raise EntryRejected(
            _("This idempotency key was already used for a different request."),
            code="idempotency_key_reused",
            details={"field": "idempotency_key"},
        )
    body = dict(record.response_body)
    return Recorded(obj=load(body), created=bool(record.created), body=body, replayed=True)


def run_idempotently(
    *,
    key: str,
    actor: User,
    operation: str,
    fingerprint_payload: Mapping[str, Any],
    perform: Callable[[], Answer[T]],
    load: Callable[[dict[str, Any]], T],
) -> Recorded[T]:
    """Run ``perform`` once per (actor, key), in one transaction with the stored answer.

    ``perform`` returns its answer; ``load`` rebuilds the object from the answer's body for a replay. A refused
    entry stores nothing, so the client may correct it and resend under the same key.
    """
    require_valid_key(key)
    fingerprint = fingerprint_request(operation, fingerprint_payload)
    try:
        with transaction.atomic():
            # Claim the key first: a replay fails to insert, and a concurrent request with the key waits on the unique
            # index until the first commits, then fails to insert; both then answer from the stored record.
            record = IdempotencyRecord.objects.create(
                actor=actor,
                key=key,
                operation=operation,
                fingerprint=fingerprint,
                created=None,
                response_body={},
                created_at=timezone.now(),
            )
            # The audit events go in last, so the chain's lock is held only from there to the commit.
            with appended_at_end():
                answer = perform()
                record.created = answer.created
                record.response_body = answer.body
                record.save(update_fields=["created", "response_body"])
    except IntegrityError as error:
        existing = IdempotencyRecord.objects.filter(actor=actor, key=key).first()
        if existing is not None:
            return _replay(existing, operation=operation, fingerprint=fingerprint, load=load)
        raise EntryRejected(
            _("Another entry was made at the same moment. Reload and try again."),
            code="idempotency_conflict",
            details={"field": "idempotency_key"},
        ) from error
    return Recorded(obj=answer.obj, created=answer.created, body=answer.body, replayed=False)
