"""Through nginx with the project's configuration: a published version's immutable address, the embed card and the
oEmbed answer are kept by the front cache, so a crowd reaches the app once; the "latest version" pointer only for
the second it allows."""

from __future__ import annotations

import json
import urllib.request
from email.message import Message
from pathlib import Path
from urllib.parse import urlencode

import pytest

from elections.models import Election
from results.tests.topology import app_node, nginx_front

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _fetch(url: str) -> tuple[bytes, Message]:
    """The body and the headers (looked up whatever their case) of ``url``."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
        return response.read(), response.headers


def test_nginx_keeps_versions_embed_cards_and_oembed_answers(published: Election, tmp_path: Path) -> None:
    with app_node() as node, nginx_front([node, node], tmp_path) as site:
        pointer_body, pointer_headers = _fetch(f"{site}/api/v1/results/elections/{published.slug}/latest.json")
        assert pointer_headers["Cache-Control"] == "public, max-age=2"
        pointer = json.loads(pointer_body)

        first, headers = _fetch(site + pointer["url"])
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        again, again_headers = _fetch(site + pointer["url"])
        assert again_headers["X-Cache-Status"] == "HIT"
        assert again == first
        assert again_headers["ETag"] == headers["ETag"]

        parts = f"{site}/results/{published.slug}/v/{pointer['version']}/ar.json"
        _fetch(parts)
        assert _fetch(parts)[1]["X-Cache-Status"] == "HIT"

        card = f"{site}/embed/{published.slug}/mayor/?lang=ar"
        _body, card_headers = _fetch(card)
        assert card_headers.get("Set-Cookie") is None
        assert _fetch(card)[1]["X-Cache-Status"] == "HIT"

        oembed = f"{site}/oembed?" + urlencode({"url": f"{site}/results/{published.slug}/contest/mayor/"})
        answer, _headers = _fetch(oembed)
        assert json.loads(answer)["type"] == "rich"
        assert _fetch(oembed)[1]["X-Cache-Status"] == "HIT"
