"""An observer checks the audit head of a snapshot or export they downloaded against the signed checkpoints they
kept, with ``manage.py verify_audit_head`` and no database: most tests here have no database access at all, so a
command that touched it would fail them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from elections.models import Contest, Election, PollingStation
from results.tests.support import enter_sheet
from trust.checkpoints import ChainHead, sign_checkpoint

AT = dt.datetime(2026, 11, 3, 20, 0, tzinfo=dt.UTC)
# Three heads of one log: 10 events up to #12, 15 up to #20, 16 up to #21.
EARLY = ChainHead(event_id=12, hash="a" * 64, count=10)
MIDDLE = ChainHead(event_id=20, hash="b" * 64, count=15)
LATE = ChainHead(event_id=21, hash="c" * 64, count=16)


@pytest.fixture
def signer(tmp_path: Path) -> tuple[Ed25519PrivateKey, Path]:
    """The operator's key, and its public half written where an observer keeps it."""
    private_key = Ed25519PrivateKey.generate()
    public = tmp_path / "audit-checkpoint.pub"
    public.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_key, public


def _checkpoints(tmp_path: Path, private_key: Ed25519PrivateKey, *heads: ChainHead) -> Path:
    path = tmp_path / "audit-checkpoints.jsonl"
    path.write_text("".join(sign_checkpoint(head=h, private_key=private_key, at=AT) + "\n" for h in heads))
    return path


def _document(tmp_path: Path, head: ChainHead, *, nist: bool = False) -> Path:
    """A downloaded snapshot (``audit_head``) or NIST export (external identifiers) carrying ``head``."""
    if nist:
        kinds = {"event-id": head.event_id, "hash": head.hash, "count": head.count}
        identifiers = [
            {"@type": "ElectionResults.ExternalIdentifier", "Type": "other", "OtherType": f"votetracker-audit-head-{k}",
             "Label": k, "Value": str(v)}
            for k, v in kinds.items()
        ]  # fmt: skip
        body: dict[str, object] = {"@type": "ElectionResults.ElectionReport", "ExternalIdentifier": identifiers}
    else:
        body = {"version": 3, "audit_head": {"event_id": head.event_id, "hash": head.hash, "count": head.count}}
    path = tmp_path / ("nist.json" if nist else "snapshot.json")
    path.write_text(json.dumps(body))
    return path


def _verify(document: Path, checkpoints: Path, public_key: Path) -> str:
    out = StringIO()
    call_command("verify_audit_head", head_from=document, checkpoints=checkpoints, public_key=public_key, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("nist", [False, True])
def test_a_head_a_checkpoint_signs_is_reported_as_vouched_for(
    tmp_path: Path, signer: tuple[Ed25519PrivateKey, Path], nist: bool
) -> None:
    checkpoints = _checkpoints(tmp_path, signer[0], EARLY, MIDDLE, LATE)
    message = _verify(_document(tmp_path, MIDDLE, nist=nist), checkpoints, signer[1])
    assert "is the one signed on line 2" in message


def test_a_head_between_checkpoints_agrees_with_both_but_is_not_called_proven(
    tmp_path: Path, signer: tuple[Ed25519PrivateKey, Path]
) -> None:
    checkpoints = _checkpoints(tmp_path, signer[0], EARLY, LATE)
    message = _verify(_document(tmp_path, MIDDLE), checkpoints, signer[1])
    assert "between the checkpoints on lines 1 and 2" in message
    assert "only a copy of the database" in message
    newer = _verify(_document(tmp_path, ChainHead(event_id=30, hash="d" * 64, count=20)), checkpoints, signer[1])
    assert "newer than every checkpoint" in newer


@pytest.mark.parametrize(
    ("published", "why"),
    [
        (ChainHead(event_id=20, hash="e" * 64, count=15), "signs hash"),  # the same event, rewritten
        (ChainHead(event_id=25, hash="b" * 64, count=14), "events were removed"),  # fewer events than at #20
        (ChainHead(event_id=14, hash="f" * 64, count=14), "cannot be"),  # 4 events in 2 ids after #12
    ],
)
def test_a_head_a_checkpoint_contradicts_fails_naming_the_line(
    tmp_path: Path, signer: tuple[Ed25519PrivateKey, Path], published: ChainHead, why: str
) -> None:
    checkpoints = _checkpoints(tmp_path, signer[0], EARLY, MIDDLE)
    with pytest.raises(CommandError, match=why) as caught:
        _verify(_document(tmp_path, published), checkpoints, signer[1])
    assert "contradicts the head" in str(caught.value)


def test_a_forged_checkpoint_or_another_key_fails(tmp_path: Path, signer: tuple[Ed25519PrivateKey, Path]) -> None:
    checkpoints = _checkpoints(tmp_path, signer[0], EARLY, MIDDLE)
    lines = checkpoints.read_text().splitlines()
    forged = json.loads(lines[1]) | {"count": 14}
    checkpoints.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")
    with pytest.raises(CommandError, match="line 2 fails: its signature does not verify"):
        _verify(_document(tmp_path, MIDDLE), checkpoints, signer[1])
    stranger = _checkpoints(tmp_path, Ed25519PrivateKey.generate(), MIDDLE)
    with pytest.raises(CommandError, match="not the given public key"):
        _verify(_document(tmp_path, MIDDLE), stranger, signer[1])


def test_a_document_without_a_head_or_a_file_without_checkpoints_is_refused(
    tmp_path: Path, signer: tuple[Ed25519PrivateKey, Path]
) -> None:
    bare = tmp_path / "old.json"
    bare.write_text(json.dumps({"version": 1, "contests": []}))
    checkpoints = _checkpoints(tmp_path, signer[0], EARLY)
    with pytest.raises(CommandError, match="carries no audit head"):
        _verify(bare, checkpoints, signer[1])
    with pytest.raises(CommandError, match="holds no checkpoint"):
        _verify(_document(tmp_path, EARLY), _checkpoints(tmp_path, signer[0]), signer[1])


@pytest.mark.django_db
def test_a_downloaded_export_is_checked_against_checkpoints_the_operator_signed(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    client: Client,
    tmp_path: Path,
    django_capture_on_commit_callbacks,
) -> None:
    """End to end: the operator signs the head with ``audit_checkpoint``; the observer downloads the NIST export and
    the snapshot and checks each against the checkpoint lines."""
    private, public = tmp_path / "audit-checkpoint.key", tmp_path / "audit-checkpoint.pub"
    call_command("audit_keygen", private_key=private, public_key=public, verbosity=0)
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[7, 8], key=new_key())
    export = tmp_path / "nist.json"
    export.write_bytes(client.get(f"/api/v1/results/elections/{published.slug}/nist.json").content)
    call_command("audit_checkpoint", key=private, out=checkpoints, stdout=StringIO())
    assert "is the one signed on line 1" in _verify(export, checkpoints, public)

    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[9, 8], key=new_key(), reason="Recount")
    call_command("audit_checkpoint", key=private, out=checkpoints, stdout=StringIO())
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_bytes(client.get(f"/api/v1/results/elections/{published.slug}").content)
    assert "is the one signed on line 2" in _verify(snapshot, checkpoints, public)
    assert "is the one signed on line 1" in _verify(export, checkpoints, public)
