"""The public page of signed checkpoints shows the published key and every line ``audit_checkpoint`` wrote, and
offers both as files to keep; without configuration it says nothing is published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from trust.checkpoints import read_chain_head

pytestmark = pytest.mark.django_db


def test_page_shows_the_key_and_each_checkpoint_whose_signature_verifies(
    published_checkpoints: tuple[Path, Path], client: Client
) -> None:
    checkpoints, public = published_checkpoints
    response = client.get("/audit/checkpoints/")
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert public.read_text().strip().splitlines()[1] in page
    assert json.loads(checkpoints.read_text().splitlines()[0])["key_id"] in page
    head = read_chain_head()
    assert head.count == 2
    assert head.hash in page
    assert page.count(">verifies<") == 2
    assert "does not verify" not in page


def test_an_altered_line_is_shown_as_not_verifying(published_checkpoints: tuple[Path, Path], client: Client) -> None:
    checkpoints, _public = published_checkpoints
    first, second = checkpoints.read_text().splitlines()
    checkpoints.write_text(first + "\n" + json.dumps(json.loads(second) | {"count": 1}) + "\nnot json\n")
    page = client.get("/audit/checkpoints/").content.decode()
    assert page.count(">verifies<") == 1
    assert "does not verify" in page
    assert "Not a checkpoint" in page


def test_checkpoints_and_key_download_as_the_operator_wrote_them(
    published_checkpoints: tuple[Path, Path], client: Client
) -> None:
    checkpoints, public = published_checkpoints
    lines = client.get("/audit/checkpoints.jsonl")
    assert lines["Content-Disposition"] == 'attachment; filename="audit-checkpoints.jsonl"'
    assert lines.content.decode() == checkpoints.read_text()
    key = client.get("/audit/checkpoint-key.pem")
    assert key.content.decode() == public.read_text()


def test_without_configuration_the_page_says_nothing_is_published(client: Client) -> None:
    page = client.get("/audit/checkpoints/")
    assert page.status_code == 200
    assert "does not publish its audit checkpoints" in page.content.decode()
    assert client.get("/audit/checkpoints.jsonl").status_code == 404
    assert client.get("/audit/checkpoint-key.pem").status_code == 404


def test_a_configured_file_not_yet_written_shows_no_checkpoint_yet(tmp_path: Path, settings, client: Client) -> None:
    settings.AUDIT_CHECKPOINTS_FILE = str(tmp_path / "none-yet.jsonl")
    page = client.get("/audit/checkpoints/").content.decode()
    assert "No checkpoint has been signed yet." in page
    assert client.get("/audit/checkpoints.jsonl").content == b""
