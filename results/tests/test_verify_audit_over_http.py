"""An observer checks the log against checkpoints and a key downloaded over HTTP: ``verify_audit`` takes addresses as
well as files, so the site's own ``/audit/checkpoints.jsonl`` (or a copy kept elsewhere) can be used as it stands."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import transaction

from trust.audit import record_audit_event

# A live server runs in another thread: its requests must see this test's committed rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def published(tmp_path: Path, official: User, settings) -> Path:
    """Two signed checkpoints, published by the site with the operator's public key; returns the checkpoint file."""
    private, public = tmp_path / "audit-checkpoint.key", tmp_path / "audit-checkpoint.pub"
    call_command("audit_keygen", private_key=private, public_key=public, verbosity=0)
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    for number in range(2):
        with transaction.atomic():
            record_audit_event(action="test.touch", obj=official, actor=official, after={"n": number})
        call_command("audit_checkpoint", key=private, out=checkpoints, stdout=StringIO())
    settings.AUDIT_CHECKPOINTS_FILE = str(checkpoints)
    settings.AUDIT_PUBLIC_KEY_FILE = str(public)
    return checkpoints


def _verify(checkpoints: str, public_key: str) -> str:
    out = StringIO()
    call_command("verify_audit", checkpoints=checkpoints, public_key=public_key, stdout=out)
    return out.getvalue()


def test_published_checkpoints_and_key_verify_by_their_addresses(published: Path, live_server) -> None:
    output = _verify(f"{live_server.url}/audit/checkpoints.jsonl", f"{live_server.url}/audit/checkpoint-key.pem")
    assert "2 checkpoint(s) hold" in output


def test_a_published_line_that_no_longer_matches_the_log_fails_by_address(published: Path, live_server) -> None:
    first, second = published.read_text().splitlines()
    published.write_text(first + "\n" + json.dumps(json.loads(second) | {"count": 1}) + "\n")
    with pytest.raises(CommandError, match=r"checkpoints\.jsonl line 2 fails"):
        _verify(f"{live_server.url}/audit/checkpoints.jsonl", f"{live_server.url}/audit/checkpoint-key.pem")


def test_an_address_that_cannot_be_downloaded_is_named(published: Path, live_server) -> None:
    missing = f"{live_server.url}/audit/no-such-file.jsonl"
    with pytest.raises(CommandError, match=rf"{missing} cannot be downloaded"):
        _verify(missing, f"{live_server.url}/audit/checkpoint-key.pem")
