"""Signed checkpoints of the audit log: the chain's head, signed with a key the application does not hold.

The hash chain alone shows that the log is consistent with itself, and anyone who can write the table can rewrite
it consistently: edit an event and recompute every hash after it, cut off the last events, or restore an older
dump. A checkpoint fixes the head (last event id, its hash, how many events lead up to it) at a moment, under an
Ed25519 signature made by the operator's offline key. Whoever keeps the checkpoint lines can later show that the log
no longer holds a head it once held, like a Certificate Transparency log's signed tree heads.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trust.audit import GENESIS_HASH
from trust.models import AuditEvent

CHECKPOINT_FORMAT = "votetracker-audit-checkpoint/1"
SIGNED_FIELDS = ("format", "key_id", "event_id", "hash", "count", "at")


class CheckpointKeyError(ValueError):
    """A key file that cannot be read as the Ed25519 key it should hold."""


@dataclass(frozen=True)
class ChainHead:
    """The last event of the log (id 0 and the genesis hash when it is empty) and how many events lead up to it."""

    event_id: int
    hash: str
    count: int


@dataclass(frozen=True)
class CheckpointFailure:
    """A checkpoint line that is not a valid signed checkpoint, or whose head the log no longer holds."""

    line: int
    reason: str


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name of the key a checkpoint was signed with, so a verifier holding another key says so."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at ``path`` (``openssl genpkey -algorithm ed25519`` writes one)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise CheckpointKeyError(f"{path} cannot be read as an unencrypted PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file at ``path`` (``openssl pkey -pubout`` writes one)."""
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise CheckpointKeyError(f"{path} cannot be read as a PEM public key: {error}") from None
    return parse_public_key(pem, source=str(path))


def parse_public_key(pem: bytes, *, source: str) -> Ed25519PublicKey:
    """The Ed25519 public key in ``pem``, read from ``source`` (named in the error)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as error:
        raise CheckpointKeyError(f"{source} cannot be read as a PEM public key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointKeyError(f"{source} holds a {type(key).__name__}, not an Ed25519 public key")
    return key


def read_chain_head() -> ChainHead:
    """The log's current head, as committed when this is read."""
    last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    if last is None:
        return ChainHead(event_id=0, hash=GENESIS_HASH, count=0)
    event_id, event_hash = last
    return ChainHead(event_id=event_id, hash=event_hash, count=AuditEvent.objects.filter(id__lte=event_id).count())


def _signed_bytes(fields: dict[str, Any]) -> bytes:
    return json.dumps({name: fields[name] for name in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":")).encode()


def sign_checkpoint(*, head: ChainHead, private_key: Ed25519PrivateKey, at: datetime) -> str:
    """One checkpoint line (JSON): ``head`` and the time ``at``, signed with ``private_key``."""
    fields: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "key_id": key_id(private_key.public_key()),
        "event_id": head.event_id,
        "hash": head.hash,
        "count": head.count,
        "at": at.isoformat(),
    }
    fields["signature"] = base64.b64encode(private_key.sign(_signed_bytes(fields))).decode()
    return json.dumps(fields, sort_keys=True)


def _signed_fields(text: str, public_key: Ed25519PublicKey) -> tuple[dict[str, Any] | None, str]:
    """The fields of a checkpoint line whose signature verifies, or None and why not."""
    try:
        fields = json.loads(text)
        signature = base64.b64decode(fields["signature"], validate=True)
        signed = _signed_bytes(fields)
        head_types_ok = isinstance(fields["event_id"], int) and isinstance(fields["count"], int)
    except (ValueError, TypeError, KeyError):
        return None, "it is not a checkpoint (JSON with the fields " + ", ".join(SIGNED_FIELDS) + ", signature)"
    if fields["format"] != CHECKPOINT_FORMAT or not head_types_ok:
        return None, f"it is not a {CHECKPOINT_FORMAT} checkpoint"
    if fields["key_id"] != key_id(public_key):
        return None, f"it names key {fields['key_id']}, not the given public key ({key_id(public_key)})"
    try:
        public_key.verify(signature, signed)
    except InvalidSignature:
        return None, "its signature does not verify with the given public key: it was forged or altered"
    return fields, ""


def _heads_in_log(event_ids: set[int]) -> dict[int, tuple[int, str]]:
    """For each of ``event_ids`` the log still holds: how many events lead up to it (itself included), its hash."""
    found: dict[int, tuple[int, str]] = {}
    if not event_ids:
        return found
    rows = AuditEvent.objects.filter(id__lte=max(event_ids)).order_by("id").values_list("id", "hash")
    for position, (event_id, event_hash) in enumerate(rows.iterator(chunk_size=5000), start=1):
        if event_id in event_ids:
            found[event_id] = (position, event_hash)
    return found


def _compare_with_log(fields: dict[str, Any], held: dict[int, tuple[int, str]]) -> str:
    """Why the log contradicts the signed head in ``fields``, or "" when it still holds it."""
    event_id, signed_hash, signed_count = fields["event_id"], fields["hash"], fields["count"]
    if event_id == 0:
        return "" if signed_count == 0 else "it signs an empty log with a non-zero count"
    if event_id not in held:
        return (
            f"event #{event_id} is no longer in the log: events were removed (the log truncated) "
            "or an older copy of the database restored"
        )
    count, current_hash = held[event_id]
    if current_hash != signed_hash:
        return (
            f"event #{event_id} no longer has the signed hash: the log up to it was rewritten, "
            "or an older copy restored and written on"
        )
    if count != signed_count:
        return f"the log holds {count} event(s) up to #{event_id}, the checkpoint signed {signed_count}"
    return ""


@dataclass(frozen=True)
class CheckpointReport:
    """What checking a file of checkpoint lines found: the failures, and the heads that still hold."""

    failures: list[CheckpointFailure]
    verified: list[ChainHead]


def check_checkpoints(*, lines: Iterable[str], public_key: Ed25519PublicKey) -> CheckpointReport:
    """Verify every checkpoint line's signature with ``public_key``, then that the log still holds its head: the
    event at its id, with its hash, preceded by as many events. Blank lines are skipped."""
    failures: list[CheckpointFailure] = []
    signed: list[tuple[int, dict[str, Any]]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        fields, reason = _signed_fields(text, public_key)
        if fields is None:
            failures.append(CheckpointFailure(line=number, reason=reason))
        else:
            signed.append((number, fields))
    held = _heads_in_log({fields["event_id"] for _number, fields in signed})
    verified: list[ChainHead] = []
    for number, fields in signed:
        reason = _compare_with_log(fields, held)
        label = f"the checkpoint of event #{fields['event_id']} signed at {fields['at']}: {reason}"
        if reason:
            failures.append(CheckpointFailure(line=number, reason=label))
        else:
            verified.append(ChainHead(event_id=fields["event_id"], hash=fields["hash"], count=fields["count"]))
    return CheckpointReport(failures=failures, verified=verified)


def advance_chain_head(*, since: ChainHead | None) -> ChainHead:
    """The log's current head, counting only the events after ``since`` (an earlier head) while the log still holds it.

    Ids follow commit order (the append takes the chain's lock until commit), so no event can later appear below a
    head once read: the count up to the new head is the old count plus the events between them. A ``since`` the log no
    longer holds (a restored database, a test rolled back) is ignored and the whole log is counted.
    """
    last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    if last is None:
        return ChainHead(event_id=0, hash=GENESIS_HASH, count=0)
    event_id, event_hash = last
    if since is None or since.event_id > event_id:
        return read_chain_head()
    if since.event_id == event_id:
        return since if since.hash == event_hash else read_chain_head()
    if since.event_id and not AuditEvent.objects.filter(id=since.event_id, hash=since.hash).exists():
        return read_chain_head()
    added = AuditEvent.objects.filter(id__gt=since.event_id, id__lte=event_id).count()
    return ChainHead(event_id=event_id, hash=event_hash, count=since.count + added)


def verify_checkpoint_line(text: str, public_key: Ed25519PublicKey) -> tuple[dict[str, Any] | None, str]:
    """The fields of one checkpoint line when it is a checkpoint whose signature verifies with ``public_key``;
    otherwise None and why not."""
    return _signed_fields(text, public_key)
