"""Builders shared by the results tests."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import connections

from ballots.tests.support import submit_sheet
from elections.models import Contest, Election, PollingStation
from results.consumers import ResultsConsumer
from votetracker.asgi import application


def enter_sheet(
    *, station: PollingStation, contest: Contest, actor: User, votes: list[int], key: str, **extra: Any
) -> None:
    """Enter an accepted tally sheet whose votes are given in ballot order (the official's entries are accepted)."""
    submit_sheet(station=station, contest=contest, actor=actor, key=key, votes=votes, **extra)


# The Origin a page on the test server sends; the live channel refuses others.
ORIGIN = [(b"origin", b"http://testserver")]


@pytest_asyncio.fixture(autouse=True)
async def close_sync_thread_connections() -> AsyncIterator[None]:
    """The database work of the async tests runs in asgiref's sync thread; close its connection so the test database
    can be dropped. Autouse in each module that imports it."""
    yield
    await sync_to_async(connections.close_all)()


async def viewer(slug: str) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    """A viewer connected in-process to the election's live channel, and the greeting it got."""
    communicator = WebsocketCommunicator(application, f"/ws/results/{slug}/", headers=ORIGIN)
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return communicator, hello


def stepped_viewer(send: Any, election: Election | None = None, version: int = 10) -> ResultsConsumer:
    """A viewer past its hello, of ``election`` in English, writing through ``send`` (the ASGI server's send)."""
    consumer = ResultsConsumer()
    consumer.base_send = send
    consumer.held = None
    consumer.backlog = deque()
    consumer.writing = None
    consumer.catching_up = None
    consumer.sent_since_ack = deque()
    consumer.language = "en"
    if election is not None:
        consumer.election_id, consumer.slug = election.pk, election.slug
    consumer.version = consumer.acknowledged = version
    return consumer
