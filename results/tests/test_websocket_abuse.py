"""Abuse of the live channel: whatever one client sends, only its own connection is closed, cleanly and with a code
that says why, while the other viewers of the election keep receiving updates and the server stays up."""

from __future__ import annotations

import contextlib
import os
import struct
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from elections.models import Election
from results.consumers import (
    ACKNOWLEDGED_UNSENT_CLOSE_CODE,
    MAX_VIEWER_MESSAGE,
    MESSAGE_TOO_BIG_CLOSE_CODE,
    NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE,
    NOT_PUBLIC_CLOSE_CODE,
    SPARE_ACKNOWLEDGEMENTS,
    TOO_MANY_MESSAGES_CLOSE_CODE,
    UNSUPPORTED_DATA_CLOSE_CODE,
)
from results.services import refresh_tallies
from results.tests.support import ORIGIN, close_sync_thread_connections, viewer  # noqa: F401 - autouse
from votetracker.asgi import application
from votetracker.tests.servers import WebSocketClient, daphne_server

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# An acknowledgement padded with spaces to exactly the largest message a viewer may send.
LONGEST_ACK = '{"ack": ' + " " * (MAX_VIEWER_MESSAGE - len('{"ack": 0}')) + "0}"


async def assert_still_served(bystander: WebsocketCommunicator, election: Election) -> None:
    """The other viewer gets the next update, and nothing else is waiting for it."""
    await database_sync_to_async(refresh_tallies)(election_id=election.pk)
    assert (await bystander.receive_json_from(timeout=5))["type"] == "update"
    assert await bystander.receive_nothing(timeout=0.1)


ABUSES = {
    "not JSON": ({"text_data": "not json"}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "a NUL character": ({"text_data": "\x00"}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "a lone surrogate": ({"text_data": "\ud800"}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "a JSON list": ({"text_data": "[1, 2]"}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "JSON null": ({"text_data": "null"}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "an ack that is text": ({"text_data": '{"ack": "7"}'}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "an ack that is true": ({"text_data": '{"ack": true}'}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "an ack that is a float": ({"text_data": '{"ack": 1.5}'}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "another key": ({"text_data": '{"nak": 1}'}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "deep nesting": ({"text_data": "[" * MAX_VIEWER_MESSAGE}, NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
    "a binary frame": ({"bytes_data": b"\x00\x01\x02"}, UNSUPPORTED_DATA_CLOSE_CODE),
    "an ack sent as binary": ({"bytes_data": b'{"ack": 1}'}, UNSUPPORTED_DATA_CLOSE_CODE),
    "one character too many": ({"text_data": LONGEST_ACK + " "}, MESSAGE_TOO_BIG_CLOSE_CODE),
    "a megabyte": ({"text_data": "x" * 1_000_000}, MESSAGE_TOO_BIG_CLOSE_CODE),
    "an ack of a version never sent": ({"text_data": '{"ack": 1000000000000000}'}, ACKNOWLEDGED_UNSENT_CLOSE_CODE),
}


@pytest.mark.asyncio
@pytest.mark.parametrize(("message", "code"), list(ABUSES.values()), ids=list(ABUSES))
async def test_a_message_that_is_not_an_acknowledgement_closes_only_that_connection(
    published: Election, message: dict[str, Any], code: int
) -> None:
    abuser, _ = await viewer(published.slug)
    bystander, _ = await viewer(published.slug)
    await abuser.send_to(**message)
    assert await abuser.receive_output(timeout=5) == {"type": "websocket.close", "code": code}
    await abuser.disconnect()
    await assert_still_served(bystander, published)
    await bystander.disconnect()


@pytest.mark.asyncio
async def test_an_acknowledgement_of_the_largest_allowed_size_is_taken(published: Election) -> None:
    communicator, _ = await viewer(published.slug)
    await communicator.send_to(text_data=LONGEST_ACK)
    await assert_still_served(communicator, published)
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_flood_of_acknowledgements_closes_only_that_connection(published: Election) -> None:
    flooder, hello = await viewer(published.slug)
    bystander, _ = await viewer(published.slug)
    for _ in range(SPARE_ACKNOWLEDGEMENTS):
        await flooder.send_json_to({"ack": hello["version"]})
    assert await flooder.receive_nothing(timeout=0.2)
    for _ in range(1000):
        await flooder.send_json_to({"ack": hello["version"]})
    assert await flooder.receive_output(timeout=5) == {"type": "websocket.close", "code": TOO_MANY_MESSAGES_CLOSE_CODE}
    await flooder.disconnect()
    await assert_still_served(bystander, published)
    await bystander.disconnect()


@pytest.mark.asyncio
async def test_a_viewer_acknowledging_every_update_is_never_taken_for_a_flood(published: Election) -> None:
    communicator, _ = await viewer(published.slug)
    for _ in range(3 * SPARE_ACKNOWLEDGEMENTS):
        await database_sync_to_async(refresh_tallies)(election_id=published.pk)
        frame = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"ack": frame["version"]})
    await assert_still_served(communicator, published)
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "slug", ["no-such-election", "x" * 300, "%00", "..", "a/b", "%F0%9F%97%B3", "riverland-2026%2F..%2F"]
)
async def test_an_unknown_election_is_turned_away_and_the_others_keep_receiving(published: Election, slug: str) -> None:
    bystander, _ = await viewer(published.slug)
    stranger = WebsocketCommunicator(application, f"/ws/results/{slug}/", headers=ORIGIN)
    connected, code = await stranger.connect(timeout=5)
    assert not connected
    assert code == NOT_PUBLIC_CLOSE_CODE
    await assert_still_served(bystander, published)
    await bystander.disconnect()


# --- a real server -----------------------------------------------------------------------------------------------


def send_text_frame(client: WebSocketClient, payload: bytes) -> None:
    """One masked text frame, as a browser sends it, written straight to the socket."""
    mask = os.urandom(4)
    head = struct.pack("!BBQ", 0x81, 0x80 | 127, len(payload)) + mask
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    # The server may close while the frame is still being sent.
    with contextlib.suppress(OSError):
        client.sock.sendall(head + masked)


def send_short_text_frame(client: WebSocketClient, payload: bytes) -> None:
    """One masked text frame of under 126 bytes, its length in the one byte the protocol requires for it."""
    assert len(payload) < 126
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    client.sock.sendall(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)


def close_code(client: WebSocketClient, timeout: float = 10) -> int | None:
    """Read until the server's close frame and return its code, or None if the server dropped the connection; fail
    if it keeps the connection open."""
    client.sock.settimeout(timeout)
    try:
        while True:
            first, second = client._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", client._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", client._read(8))[0]
            payload = client._read(length)
            if first & 0x0F == 8:
                return int(struct.unpack("!H", payload[:2])[0]) if len(payload) >= 2 else None
    except ConnectionError:
        return None
    except TimeoutError:
        pytest.fail("the server kept the connection open")


@pytest.mark.postgres_only
def test_a_two_megabyte_frame_is_refused_by_the_server_which_stays_up(published: Election) -> None:
    path = f"/ws/results/{published.slug}/"
    with daphne_server() as base:
        bystander = WebSocketClient(base, path)
        assert bystander.receive_json()["type"] == "hello"
        abuser = WebSocketClient(base, path)
        assert abuser.receive_json()["type"] == "hello"

        send_text_frame(abuser, b"x" * (2 * 1024 * 1024))
        # Daphne refuses a frame over its 1 MB limit before reading it, and its WebSocket library (autobahn) fails
        # such a connection by dropping it rather than with a close frame; either way it is closed.
        assert close_code(abuser) in {MESSAGE_TOO_BIG_CLOSE_CODE, None}
        abuser.close()

        newcomer = WebSocketClient(base, path)
        assert newcomer.receive_json()["type"] == "hello"
        refresh_tallies(election_id=published.pk)
        for client in (bystander, newcomer):
            assert client.receive_json()["type"] == "update"
            client.close()


@pytest.mark.postgres_only
def test_under_daphne_each_abuse_is_answered_with_its_own_application_close_code(published: Election) -> None:
    """Daphne's WebSocket library refuses the protocol's codes (1003, 1008, 1009) for a close the application asks
    for and answers 1011 instead, logging a traceback per message: the viewer must get the code the consumer chose."""
    path = f"/ws/results/{published.slug}/"
    abuses = [
        (b"not json", NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE),
        (LONGEST_ACK.encode() + b" ", MESSAGE_TOO_BIG_CLOSE_CODE),
        (b'{"ack": 1000000000000000}', ACKNOWLEDGED_UNSENT_CLOSE_CODE),
    ]
    with daphne_server() as base:
        for payload, code in abuses:
            abuser = WebSocketClient(base, path)
            assert abuser.receive_json()["type"] == "hello"
            send_short_text_frame(abuser, payload)
            assert close_code(abuser) == code
            abuser.close()
        bystander = WebSocketClient(base, path)
        assert bystander.receive_json()["type"] == "hello"
        refresh_tallies(election_id=published.pk)
        assert bystander.receive_json()["type"] == "update"
        bystander.close()
