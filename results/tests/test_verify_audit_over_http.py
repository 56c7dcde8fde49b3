"""An observer checks the log against checkpoints and a key downloaded over HTTP: ``verify_audit`` takes addresses as
well as files, so the site's own ``/audit/checkpoints.jsonl`` (or a copy kept elsewhere) can be used as it stands."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

# A live server runs in another thread: its requests must see this test's committed rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def published(published_checkpoints: tuple[Path, Path]) -> Path:
    """The checkpoint file the site publishes (with the operator's public key)."""
    return published_checkpoints[0]


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
