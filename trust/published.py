"""The audit log's head as outsiders hold it: the checkpoint lines a public page shows, and a head copied from a
public snapshot or export checked against signed checkpoints by anyone, without the database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trust.checkpoints import ChainHead, CheckpointFailure, key_id, load_public_key, verify_checkpoint_line


@dataclass(frozen=True)
class PublishedCheckpoint:
    """One line of a checkpoint file as the public page shows it: the head it names (None when the line is not a
    checkpoint at all), when it was signed, and whether its signature verifies with the published key."""

    line: int
    text: str
    head: ChainHead | None
    at: str
    signature_verifies: bool


def read_published_checkpoints(
    *, lines: Iterable[str], public_key: Ed25519PublicKey | None
) -> list[PublishedCheckpoint]:
    """Every non-blank checkpoint line with the head it names; signatures are checked when ``public_key`` is given."""
    published: list[PublishedCheckpoint] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            fields = json.loads(text)
            head = ChainHead(event_id=int(fields["event_id"]), hash=str(fields["hash"]), count=int(fields["count"]))
            at = str(fields["at"])
        except (ValueError, TypeError, KeyError):
            published.append(PublishedCheckpoint(line=number, text=text, head=None, at="", signature_verifies=False))
            continue
        verifies = public_key is not None and verify_checkpoint_line(text, public_key)[0] is not None
        published.append(PublishedCheckpoint(line=number, text=text, head=head, at=at, signature_verifies=verifies))
    return published


def find_contradiction(signed: ChainHead, head: ChainHead) -> str:
    """Why two heads cannot both come from one append-only log, or "" when they can.

    Ids are positive and grow by at least one per event, so between two heads of one log the count grows by at least
    one and at most by the difference of their ids; at the same id both name the same event.
    """
    if signed.event_id == head.event_id:
        if (signed.hash, signed.count) != (head.hash, head.count):
            return f"it signs hash {signed.hash} and {signed.count} event(s) for that event"
        return ""
    earlier, later = (signed, head) if signed.event_id < head.event_id else (head, signed)
    between = later.count - earlier.count
    if not 1 <= between <= later.event_id - earlier.event_id:
        return (
            f"{between} event(s) from event #{earlier.event_id} to event #{later.event_id} cannot be: events were "
            "removed, or the log rewritten"
        )
    return ""


@dataclass(frozen=True)
class HeadCheck:
    """What checking a published head against signed checkpoints found.

    ``checkpoints`` counts the lines whose signature verifies; ``signed_by`` is the line of a checkpoint that signs
    this very head; ``before`` and ``after`` the lines of the nearest checkpoints on either side of it (0 where there
    is none).
    """

    failures: list[CheckpointFailure]
    checkpoints: int
    signed_by: int
    before: int
    after: int


def check_head_against_checkpoints(*, head: ChainHead, lines: Iterable[str], public_key: Ed25519PublicKey) -> HeadCheck:
    """Verify every checkpoint line's signature, and that none contradicts ``head`` (see ``find_contradiction``).

    Needs no database, so it proves less than ``verify_audit --checkpoints``: a head signed by a checkpoint is one the
    operator vouched for, but a head between two checkpoints is only shown to be consistent with them, not to lie on
    their chain.
    """
    failures: list[CheckpointFailure] = []
    signed: list[tuple[int, ChainHead]] = []
    verified = 0
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        fields, reason = verify_checkpoint_line(text, public_key)
        if fields is None:
            failures.append(CheckpointFailure(line=number, reason=reason))
            continue
        verified += 1
        checkpoint = ChainHead(event_id=fields["event_id"], hash=fields["hash"], count=fields["count"])
        reason = find_contradiction(checkpoint, head)
        if reason:
            label = f"the checkpoint of event #{checkpoint.event_id} signed at {fields['at']} contradicts the head"
            failures.append(CheckpointFailure(line=number, reason=f"{label}: {reason}"))
        else:
            signed.append((number, checkpoint))
    same = [number for number, checkpoint in signed if checkpoint.event_id == head.event_id]
    before = [(checkpoint.event_id, number) for number, checkpoint in signed if checkpoint.event_id < head.event_id]
    after = [(checkpoint.event_id, number) for number, checkpoint in signed if checkpoint.event_id > head.event_id]
    return HeadCheck(
        failures=failures,
        checkpoints=verified,
        signed_by=same[0] if same else 0,
        before=max(before)[1] if before else 0,
        after=min(after)[1] if after else 0,
    )


@dataclass(frozen=True)
class PublishedKey:
    """The public key that verifies the checkpoints, as published: its PEM text, its id, and the key itself."""

    pem: str
    key_id: str
    key: Ed25519PublicKey


def read_published_key(path: Path) -> PublishedKey:
    """The Ed25519 public key in the PEM file at ``path``; ``CheckpointKeyError`` when it cannot be read as one."""
    key = load_public_key(path)
    return PublishedKey(pem=path.read_text(), key_id=key_id(key), key=key)


def read_checkpoint_lines(path: Path) -> list[str]:
    """The lines of the checkpoint file at ``path``, none when it does not exist yet (nothing signed so far)."""
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []
