"""A crowd of viewers connecting at once (a reconnect storm after a restart) reads the snapshot once, not once each."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from elections.models import Election
from results import consumers
from results.tests.support import ORIGIN, close_sync_thread_connections  # noqa: F401 - autouse
from votetracker.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


async def test_a_crowd_connecting_at_once_reads_the_snapshot_once(published: Election, monkeypatch) -> None:
    reads: list[str] = []
    real = consumers.get_public_snapshot

    def counted(*, slug: str) -> Any:
        reads.append(slug)
        return real(slug=slug)

    monkeypatch.setattr(consumers, "get_public_snapshot", counted)
    crowd = [WebsocketCommunicator(application, f"/ws/results/{published.slug}/", headers=ORIGIN) for _ in range(40)]
    connected = await asyncio.gather(*(viewer.connect(timeout=10) for viewer in crowd))
    assert all(ok for ok, _code in connected)
    hellos = await asyncio.gather(*(viewer.receive_json_from(timeout=10) for viewer in crowd))
    assert {hello["version"] for hello in hellos} == {hellos[0]["version"]}
    assert reads == [published.slug]
    # An unknown election is never remembered: every attempt is answered from the source.
    stranger = WebsocketCommunicator(application, "/ws/results/no-such-election/", headers=ORIGIN)
    assert (await stranger.connect(timeout=5)) == (False, 4404)
    await asyncio.gather(*(viewer.disconnect() for viewer in crowd))
