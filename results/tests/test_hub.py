"""The process's fan-out (``results.hub``) through the real channel layer (in-memory embedded, Redis pub/sub in server
mode): one subscription per group feeds every local viewer, a backed-up socket holds up nobody else (what it gets
instead: test_conflation), and a viewer that keeps up acknowledging only every few updates is never taken for a slow
one."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from elections.models import Election
from results import consumers, hub
from results.consumers import (
    ACK_EVERY,
    ACKNOWLEDGED_UNSENT_CLOSE_CODE,
    MAX_UNACKNOWLEDGED,
)
from results.services import group_name, refresh_tallies
from results.tests.support import close_sync_thread_connections, stepped_viewer, viewer  # noqa: F401 - autouse

pytestmark = pytest.mark.asyncio

Event = dict[str, Any]


class Listener:
    def __init__(self) -> None:
        self.messages: list[Event] = []
        self.arrived = asyncio.Event()

    def offer(self, message: Event) -> None:
        self.messages.append(message)
        self.arrived.set()


def as_offered(message: Event) -> Event:
    """What the hub hands a viewer for ``message``: the frame, and the version it follows."""
    return {**message, "previous": max(message["version"] - 1, 0)}


def update(version: int) -> Event:
    previous = max(version - 1, 0)
    frame = f'{{"type":"update","version":{version},"previous":{previous}}}'
    return {"type": "results.update", "version": version, "previous": previous, "updated_at": "", "frame": frame}


async def test_one_subscription_per_group_feeds_every_local_viewer_and_ends_with_the_last() -> None:
    listeners = [Listener() for _ in range(3)]
    for listener in listeners:
        await hub.join(election_id=9001, language="en", viewer=listener)
    other_language = Listener()
    await hub.join(election_id=9001, language="ar", viewer=other_language)
    assert hub.local_viewers(election_id=9001, language="en") == 3
    subscription = hub._local()[group_name(9001, "en")]

    await get_channel_layer().group_send(group_name(9001, "en"), update(5))
    await asyncio.wait_for(asyncio.gather(*(each.arrived.wait() for each in listeners)), 5)
    assert [each.messages for each in listeners] == [[as_offered(update(5))]] * 3
    assert other_language.messages == []
    # One frame object for all of them, encoded once for the process.
    frames = {id(each.messages[0]["frame"]) for each in listeners}
    assert len(frames) == 1
    assert isinstance(listeners[0].messages[0]["frame"], hub.Utf8Text)

    for listener in listeners:
        hub.leave(election_id=9001, language="en", viewer=listener)
    assert hub.local_viewers(election_id=9001, language="en") == 0
    await asyncio.wait_for(asyncio.gather(subscription.task, return_exceptions=True), 5)
    assert subscription.task.cancelled()
    # Joining again subscribes again.
    back = Listener()
    await hub.join(election_id=9001, language="en", viewer=back)
    await get_channel_layer().group_send(group_name(9001, "en"), update(6))
    await asyncio.wait_for(back.arrived.wait(), 5)
    assert back.messages == [as_offered(update(6))]
    hub.leave(election_id=9001, language="en", viewer=back)
    hub.leave(election_id=9001, language="ar", viewer=other_language)


async def test_a_viewer_that_raises_does_not_cost_the_others_their_frame() -> None:
    class Broken:
        def offer(self, message: Event) -> None:
            raise ValueError("broken viewer")

    broken, fine = Broken(), Listener()
    await hub.join(election_id=9002, language="en", viewer=broken)
    await hub.join(election_id=9002, language="en", viewer=fine)
    await get_channel_layer().group_send(group_name(9002, "en"), update(1))
    await asyncio.wait_for(fine.arrived.wait(), 5)
    assert fine.messages == [as_offered(update(1))]
    hub.leave(election_id=9002, language="en", viewer=broken)
    hub.leave(election_id=9002, language="en", viewer=fine)


async def test_send_now_writes_at_once_when_it_can_and_finishes_in_a_task_when_it_must_wait() -> None:
    written: list[Event] = []
    writable = asyncio.Event()
    writable.set()

    async def send(event: Event) -> None:
        await writable.wait()  # as an ASGI server's send does while the socket's buffer is full
        written.append(event)

    assert hub.send_now(send, {"n": 1}) is None
    assert written == [{"n": 1}]  # done before send_now returned, without a task

    writable.clear()
    task = hub.send_now(send, {"n": 2})
    assert task is not None
    assert not task.done()
    await asyncio.sleep(0.05)
    assert written == [{"n": 1}]
    writable.set()
    await asyncio.wait_for(task, 5)
    assert written == [{"n": 1}, {"n": 2}]

    async def fails(event: Event) -> None:
        raise OSError("gone")

    with pytest.raises(OSError, match="gone"):
        hub.send_now(fails, {"n": 3})

    async def fails_later(event: Event) -> None:
        await asyncio.sleep(0)
        raise OSError("gone later")

    later = hub.send_now(fails_later, {"n": 4})
    assert later is not None
    with pytest.raises(OSError, match="gone later"):
        await later


async def test_a_write_waiting_on_a_full_socket_can_be_cancelled() -> None:
    never = asyncio.Event()
    reached_the_end: list[bool] = []

    async def send(event: Event) -> None:
        try:
            await never.wait()
        finally:
            reached_the_end.append(True)

    for started in (False, True):
        task = hub.send_now(send, {})
        assert task is not None
        if started:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert reached_the_end == [True] * (1 + started)  # the send itself was ended, not left suspended


async def test_an_acknowledgement_of_a_version_never_sent_ends_the_connection() -> None:
    socket: list[Event] = []

    async def send(event: Event) -> None:
        socket.append(event)

    liar = stepped_viewer(send)
    liar.offer(update(11))
    await liar.receive(text_data=json.dumps({"ack": 10**15}))
    assert socket[-1] == {"type": "websocket.close", "code": ACKNOWLEDGED_UNSENT_CLOSE_CODE}
    assert liar.acknowledged == 10


async def test_every_close_code_of_the_live_channel_is_its_own_and_in_the_application_range() -> None:
    codes = {name: value for name, value in vars(consumers).items() if name.endswith("_CLOSE_CODE")}
    assert len(codes) >= 7
    assert len(set(codes.values())) == len(codes)
    assert all(4000 <= code <= 4999 for code in codes.values()), codes
    for name, code in codes.items():
        assert f"- {code} ``{name}``" in (consumers.__doc__ or ""), f"{name} is not described with the others"


async def test_a_socket_that_is_gone_stops_the_writes_without_raising() -> None:
    async def gone(event: Event) -> None:
        raise OSError("connection lost")

    lost = stepped_viewer(gone)
    lost.offer(update(11))
    assert lost.closing
    lost.offer(update(12))  # nothing more is attempted
    assert lost.version == 11


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_viewer_acknowledging_every_few_updates_as_the_hello_asks_is_never_closed(
    published: Election,
) -> None:
    communicator, hello = await viewer(published.slug)
    assert hello["ack_every"] == ACK_EVERY
    for received in range(1, 3 * MAX_UNACKNOWLEDGED + 1):
        await database_sync_to_async(refresh_tallies)(election_id=published.pk)
        frame = await communicator.receive_json_from(timeout=5)
        assert frame["type"] == "update"
        if received % ACK_EVERY == 0:
            await communicator.send_json_to({"ack": frame["version"]})
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_frames_offered_before_the_hello_wait_for_it_and_only_newer_ones_follow_it() -> None:
    socket: list[Event] = []

    async def send(event: Event) -> None:
        socket.append(event)

    greeting = stepped_viewer(send)
    greeting.held = []  # subscribed, hello not sent yet
    greeting.offer(update(11))
    greeting.offer(update(12))
    assert socket == []
    greeting.version = greeting.acknowledged = 11  # the hello named 11
    greeting.release_held()
    assert [event["text"] for event in socket] == [update(12)["frame"]]
    greeting.offer(update(13))
    assert len(socket) == 2


async def test_the_fan_out_baseline_asks_its_clients_for_as_many_acknowledgements_as_the_live_channel() -> None:
    from bench import bare

    assert bare.ACK_EVERY == ACK_EVERY


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_viewer_whose_start_fails_after_joining_leaves_the_fan_out(
    published: Election, monkeypatch: pytest.MonkeyPatch
) -> None:
    from channels.testing import WebsocketCommunicator

    from results.tests.support import ORIGIN
    from votetracker.asgi import application

    async def cache_down(**_kwargs: Any) -> int:
        raise ConnectionError("the cache is unreachable")

    monkeypatch.setattr(consumers, "viewer_version", cache_down)
    communicator = WebsocketCommunicator(application, f"/ws/results/{published.slug}/", headers=ORIGIN)
    with pytest.raises(ConnectionError):
        await communicator.connect(timeout=1)
    assert hub.local_viewers(election_id=published.pk, language="en") == 0


async def test_a_frame_is_encoded_once_however_many_sockets_it_is_written_to() -> None:
    text = hub.Utf8Text('{"parts":"نتائج · results"}')
    assert text == '{"parts":"نتائج · results"}'
    assert text.encode() is text.encode("utf8") is text.encode("UTF-8")
    assert text.encode() == '{"parts":"نتائج · results"}'.encode()
    assert text.encode("ascii", "ignore") == b'{"parts":"  results"}'
    assert json.loads(text) == {"parts": "نتائج · results"}
