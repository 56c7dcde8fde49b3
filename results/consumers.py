"""The live channel ``/ws/results/<election>/``: join the election's group, say which version is current, forward
each broadcast, leave. It never touches the ORM per message: the funnel encodes each frame once, here it is only
written to the socket.

A viewer acknowledges each update by sending ``{"ack": <version>}``. One that falls more than
``MAX_UNACKNOWLEDGED`` updates behind is too slow to keep up: it is closed with code 4008 and resyncs from the
snapshot when it reconnects, so a stalled phone never makes the server hold an ever-growing backlog for it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from results.selectors import get_public_snapshot
from results.services import group_name, last_broadcast_version, viewer_language
from votetracker import metrics

# About five seconds of continuous updates at the default broadcast interval.
MAX_UNACKNOWLEDGED = 20
SLOW_VIEWER_CLOSE_CODE = 4008
# Viewers only ever send a short acknowledgement, one per update; anything else is not from the page and ends the
# connection: larger (1009), binary (1003), not an acknowledgement, or far more messages than updates sent (1008).
MAX_VIEWER_MESSAGE = 64
MESSAGE_TOO_BIG_CLOSE_CODE = 1009
UNSUPPORTED_DATA_CLOSE_CODE = 1003
POLICY_VIOLATION_CLOSE_CODE = 1008
# Acknowledgements a viewer may send beyond one per update (a page resent after a reconnect, a duplicate).
SPARE_ACKNOWLEDGEMENTS = 10


# A new viewer needs the election's id and the version its frames will follow. The id of a public election is
# remembered this long in the process (and found by one viewer at a time), so that a reconnect storm of thousands of
# viewers after a restart reads the whole snapshot once, not once each on the database thread; the version is then
# the last broadcast's, a few bytes read from the cache on any worker thread.
START_MEMO_SECONDS = 5.0
MAX_REMEMBERED_STARTS = 256
_starts: dict[str, tuple[float, int]] = {}
_start_locks: dict[tuple[int, str], asyncio.Lock] = {}


async def viewer_start(slug: str) -> tuple[int, int] | None:
    """The election id and current version for a new viewer of ``slug``; None when its results are not public."""
    if (start := await _remembered_start(slug)) is not None:
        return start
    key = (id(asyncio.get_running_loop()), slug)
    if len(_start_locks) > MAX_REMEMBERED_STARTS:
        _start_locks.clear()
    async with _start_locks.setdefault(key, asyncio.Lock()):
        if (start := await _remembered_start(slug)) is not None:
            return start
        start = await database_sync_to_async(_read_start)(slug)
        if start is None:
            return None  # never remembered: any text can be asked for, and an election may be published any time
        if len(_starts) > MAX_REMEMBERED_STARTS:
            _starts.clear()
        _starts[slug] = (time.monotonic() + START_MEMO_SECONDS, start[0])
        return start


def _read_start(slug: str) -> tuple[int, int] | None:
    # On a cache miss the snapshot is rebuilt from the database once, here, not per message.
    snapshot = get_public_snapshot(slug=slug)
    if snapshot is None:
        return None
    election_id = int(snapshot["election"]["id"])
    # Frames follow the last broadcast; a version counted but never broadcast (its broadcast was superseded, or the
    # results were hidden then) is one no frame will name.
    return election_id, last_broadcast_version(election_id=election_id) or int(snapshot["version"])


async def _remembered_start(slug: str) -> tuple[int, int] | None:
    remembered = _starts.get(slug)
    if remembered is None or remembered[0] <= time.monotonic():
        return None
    sent = await sync_to_async(last_broadcast_version, thread_sensitive=False)(election_id=remembered[1])
    return (remembered[1], sent) if sent else None


# The messages this consumer handles without the database.
WITHOUT_DATABASE = frozenset({"results.update", "websocket.receive", "websocket.disconnect"})


class ResultsConsumer(AsyncWebsocketConsumer):
    """One public viewer of an election's results. Sends updates; takes only their acknowledgements."""

    election_id: int | None = None
    group: str = ""
    version: int = 0
    acknowledged: int = 0
    updates_sent: int = 0
    messages_received: int = 0

    async def connect(self) -> None:
        self.sent_since_ack: deque[int] = deque()
        start = await viewer_start(str(self.scope["url_route"]["kwargs"]["slug"]))
        if start is None:
            await self.close(code=4404)
            return
        self.election_id, self.version = start
        self.acknowledged = self.version
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.group = group_name(self.election_id, viewer_language(query.get("lang", [""])[0]))
        if self.channel_layer is not None:
            await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        metrics.viewer_connected()
        await self.send(text_data=json.dumps({"type": "hello", "version": self.version}))

    async def disconnect(self, code: int) -> None:
        metrics.viewer_disconnected(accepted=self.election_id is not None)
        if self.election_id is not None and self.channel_layer is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Take a viewer's acknowledgement; close the connection on anything else."""
        self.messages_received += 1
        if text_data is None:
            await self.close(code=UNSUPPORTED_DATA_CLOSE_CODE)
            return
        if len(text_data) > MAX_VIEWER_MESSAGE:
            await self.close(code=MESSAGE_TOO_BIG_CLOSE_CODE)
            return
        acknowledged = _acknowledged_version(text_data)
        if acknowledged is None or self.messages_received > self.updates_sent + SPARE_ACKNOWLEDGEMENTS:
            await self.close(code=POLICY_VIOLATION_CLOSE_CODE)
            return
        self.acknowledged = max(self.acknowledged, min(acknowledged, self.version))

    async def results_update(self, message: dict[str, Any]) -> None:
        """Forward a broadcast frame unless this viewer already has that version or a newer one."""
        version = int(message["version"])
        metrics.observe_broadcast_lag(self.election_id, message)
        if version <= self.version:
            return
        if self.unacknowledged >= MAX_UNACKNOWLEDGED:
            await self.close(code=SLOW_VIEWER_CLOSE_CODE)
            return
        self.version = version
        self.updates_sent += 1
        self.sent_since_ack.append(version)
        await self.send(text_data=message["frame"])

    @property
    def unacknowledged(self) -> int:
        """How many updates sent to this viewer it has not acknowledged yet."""
        while self.sent_since_ack and self.sent_since_ack[0] <= self.acknowledged:
            self.sent_since_ack.popleft()
        return len(self.sent_since_ack)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every message, a thread hop each time: with every viewer
        # acknowledging every update, that hop was half the CPU of a busy node. This consumer uses the database only
        # in connect (through database_sync_to_async, which does its own closing), so only connect keeps the hop.
        if message["type"] in WITHOUT_DATABASE:
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)


def _acknowledged_version(text: str) -> int | None:
    """The version in ``{"ack": <version>}``, or None when the text is anything else."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    acknowledged = message.get("ack") if isinstance(message, dict) else None
    if isinstance(acknowledged, int) and not isinstance(acknowledged, bool):
        return acknowledged
    return None
