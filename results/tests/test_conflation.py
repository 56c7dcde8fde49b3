"""Slow viewers are conflated, not dropped: a viewer that cannot take frames as they come is sent nothing while it is
behind and then one catch-up frame of the newest version; a reconnecting page that names its version is brought up
to date over the socket. Only a viewer that can take nothing for ``MAX_BEHIND_SECONDS`` is closed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from elections.models import Election
from results import consumers
from results.consumers import MAX_UNACKNOWLEDGED, SLOW_VIEWER_CLOSE_CODE
from results.selectors import get_public_snapshot
from results.services import refresh_tallies
from results.tests.support import ORIGIN, close_sync_thread_connections, stepped_viewer, viewer  # noqa: F401 - autouse
from votetracker.asgi import application

pytestmark = pytest.mark.asyncio

Event = dict[str, Any]


def update(version: int, previous: int | None = None) -> Event:
    """A broadcast as the hub offers it: ``previous`` is the version the frame follows (None: not known)."""
    return {"type": "results.update", "version": version, "previous": previous, "frame": f'{{"version":{version}}}'}


async def snapshot_version(election: Election) -> int:
    snapshot = await database_sync_to_async(get_public_snapshot)(slug=election.slug)
    assert snapshot is not None
    return int(snapshot["version"])


async def bump(election: Election, times: int) -> int:
    """Recount ``times`` times (each a new snapshot version); returns the newest version."""
    for _ in range(times):
        await database_sync_to_async(refresh_tallies)(election_id=election.pk)
    return await snapshot_version(election)


async def settle(condition: Any, *, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the viewer did not get there in time")


def texts(socket: list[Event]) -> list[dict[str, Any]]:
    return [json.loads(event["text"]) for event in socket if event["type"] == "websocket.send"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_backed_up_viewer_skips_frames_and_gets_one_frame_of_the_newest_version_when_it_drains(
    published: Election,
) -> None:
    start = await snapshot_version(published)
    writable = asyncio.Event()
    socket: list[Event] = []

    async def slow_send(event: Event) -> None:
        await writable.wait()
        socket.append(event)

    slow = stepped_viewer(slow_send, published, version=start)
    slow.offer(update(start + 1))  # its socket takes this one slowly
    newest = await bump(published, 3)
    for version in range(start + 2, newest + 1):
        slow.offer(update(version, previous=version - 1))
    # Nothing waits behind the write in progress: the skipped frames are only remembered as "wanted".
    assert not slow.backlog
    assert slow.wanted == newest
    writable.set()
    await settle(lambda: len(socket) == 2 and slow.writing is None)
    first, catch_up = texts(socket)
    assert first == {"version": start + 1}
    assert catch_up["version"] == newest
    assert catch_up["full"] is True
    # Every live part whole, so the page can replace them all whatever version it held.
    assert set(catch_up["parts"]) == set(catch_up["live"])
    assert "summary" in catch_up["parts"]
    assert slow.version == newest
    assert not slow.closing


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_viewer_far_behind_on_acknowledgements_is_caught_up_once_it_acknowledges(published: Election) -> None:
    start = await snapshot_version(published)
    socket: list[Event] = []

    async def send(event: Event) -> None:
        socket.append(event)

    newest = await bump(published, MAX_UNACKNOWLEDGED + 4)
    reader = stepped_viewer(send, published, version=start)
    for version in range(start + 1, newest + 1):
        reader.offer(update(version, previous=version - 1))
    # Sent as many as it may have unacknowledged, then nothing more, and not closed.
    assert len(texts(socket)) == MAX_UNACKNOWLEDGED
    assert reader.wanted == newest
    assert not reader.closing
    await reader.receive(text_data=json.dumps({"ack": start + MAX_UNACKNOWLEDGED}))
    await settle(lambda: len(texts(socket)) == MAX_UNACKNOWLEDGED + 1)
    caught_up = texts(socket)[-1]
    assert caught_up["full"] is True
    assert caught_up["version"] == newest
    assert not reader.closing


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_frame_that_does_not_follow_the_viewers_version_is_replaced_by_a_catch_up_frame(
    published: Election,
) -> None:
    start = await snapshot_version(published)
    socket: list[Event] = []

    async def send(event: Event) -> None:
        socket.append(event)

    gap = stepped_viewer(send, published, version=start)
    newest = await bump(published, 2)
    # This broadcast follows a version the viewer never had: applied as it is, the page would reload.
    gap.offer(update(newest, previous=newest - 1))
    await settle(lambda: len(socket) == 1)
    (frame,) = texts(socket)
    assert frame["full"] is True
    assert frame["version"] == newest


async def test_a_viewer_whose_socket_takes_nothing_is_closed_as_slow_only_after_the_time_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consumers, "MAX_BEHIND_SECONDS", 0.3)
    never_writable = asyncio.Event()
    started: list[Event] = []

    async def stalled_send(event: Event) -> None:
        started.append(event)
        await never_writable.wait()

    stalled = stepped_viewer(stalled_send)
    stalled.offer(update(11))
    # It claims to have read all it was sent: that does not make its socket take anything more.
    await stalled.receive(text_data=json.dumps({"ack": 11}))
    for version in range(12, 40):
        stalled.offer(update(version))
    assert not stalled.closing
    # One frame in flight, nothing queued behind it, however many were offered.
    assert [event["type"] for event in started] == ["websocket.send"]
    assert not stalled.backlog
    await asyncio.sleep(0.35)
    stalled.offer(update(40))
    assert stalled.closing
    await settle(lambda: started[-1]["type"] == "websocket.close")
    assert started[-1]["code"] == SLOW_VIEWER_CLOSE_CODE
    assert stalled.writing is not None
    stalled.writing.cancel()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_reconnecting_page_that_names_its_version_is_caught_up_over_the_socket(published: Election) -> None:
    steady, hello = await viewer(published.slug)
    held = hello["version"]
    for _ in range(2):
        await database_sync_to_async(refresh_tallies)(election_id=published.pk)
        await steady.receive_json_from(timeout=5)

    back = WebsocketCommunicator(application, f"/ws/results/{published.slug}/?version={held}", headers=ORIGIN)
    connected, _code = await back.connect(timeout=5)
    assert connected
    back_hello = await back.receive_json_from(timeout=5)
    assert back_hello["type"] == "hello"
    assert back_hello["version"] > held
    frame = await back.receive_json_from(timeout=5)
    assert frame["type"] == "update"
    assert frame["full"] is True
    assert frame["version"] >= back_hello["version"]
    # Then it follows the broadcasts like any other viewer.
    await database_sync_to_async(refresh_tallies)(election_id=published.pk)
    following = await back.receive_json_from(timeout=5)
    assert following["previous"] == frame["version"]
    assert "full" not in following

    # A page that holds the current version, or says nothing, gets no catch-up.
    for query in (f"?version={following['version']}", "", "?version=nonsense"):
        current = WebsocketCommunicator(application, f"/ws/results/{published.slug}/{query}", headers=ORIGIN)
        assert (await current.connect(timeout=5))[0]
        assert (await current.receive_json_from(timeout=5))["type"] == "hello"
        assert await current.receive_nothing(timeout=0.3)
        await current.disconnect()
    await back.disconnect()
    await steady.disconnect()
