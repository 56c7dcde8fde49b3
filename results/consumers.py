"""The live channel ``/ws/results/<election>/``: join the election's group, say which version is current, forward
each broadcast, leave. It never touches the ORM per message: the funnel encodes each frame once, here it is only
written to the socket.

A viewer acknowledges every ``ACK_EVERY``-th update by sending ``{"ack": <version>}`` (the hello tells it how often:
an acknowledgement costs the server about as much as the update it answers). One that falls more than
``MAX_UNACKNOWLEDGED`` updates behind is too slow to keep up: it is closed and resyncs from the snapshot when it
reconnects, so a stalled phone never makes the server hold an ever-growing backlog for it. What a viewer claims does
not lift that limit: an acknowledgement of a version it was never sent ends the connection, and a viewer whose socket
stays backed up (the transport's own back-pressure, see ``results.hub.send_now``) while ``MAX_FRAMES_WAITING`` frames
wait behind it is closed as slow whatever it acknowledged.

Close codes, all in the application range (4000–4999: a WebSocket server refuses the protocol's own codes such as
1003, 1008 or 1009 for a close the application asks for, and the viewer would get 1011 instead):

- 4404 ``NOT_PUBLIC_CLOSE_CODE``: no such election, or its results are not public (the page stops reconnecting).
- 4008 ``SLOW_VIEWER_CLOSE_CODE``: too slow to keep up (the page reconnects and resyncs).
- 4002 ``NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE``: a text message that is not ``{"ack": <integer>}``.
- 4003 ``UNSUPPORTED_DATA_CLOSE_CODE``: a binary message.
- 4009 ``MESSAGE_TOO_BIG_CLOSE_CODE``: a message longer than ``MAX_VIEWER_MESSAGE``.
- 4029 ``TOO_MANY_MESSAGES_CLOSE_CODE``: far more messages than updates sent.
- 4022 ``ACKNOWLEDGED_UNSENT_CLOSE_CODE``: an acknowledgement of a version this connection was never sent.
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
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from results import hub
from results.selectors import get_public_snapshot
from results.services import last_broadcast_version, viewer_language
from votetracker import metrics

# About five seconds of continuous updates at the default broadcast interval.
MAX_UNACKNOWLEDGED = 20
# How often a viewer acknowledges: every this many updates (and so never more than this many behind while it keeps up).
ACK_EVERY = 8
# Frames that may wait behind a write the viewer's socket could not take at once (it is backed up): past this the
# viewer is not reading, whatever it acknowledges, and is closed as slow.
MAX_FRAMES_WAITING = 10
# Viewers only ever send a short acknowledgement, one per update; anything else is not from the page and ends the
# connection. The codes are described in the module's docstring.
MAX_VIEWER_MESSAGE = 64
NOT_PUBLIC_CLOSE_CODE = 4404
SLOW_VIEWER_CLOSE_CODE = 4008
NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE = 4002
UNSUPPORTED_DATA_CLOSE_CODE = 4003
MESSAGE_TOO_BIG_CLOSE_CODE = 4009
TOO_MANY_MESSAGES_CLOSE_CODE = 4029
ACKNOWLEDGED_UNSENT_CLOSE_CODE = 4022
SPARE_ACKNOWLEDGEMENTS = 10


# A new viewer needs the election's id and the version its frames will follow. The id of a public election is
# remembered this long in the process (and found by one viewer at a time), so that a reconnect storm of thousands of
# viewers after a restart reads the whole snapshot once, not once each on the database thread; the version is then
# the last broadcast's, a few bytes read from the cache on any worker thread.
START_MEMO_SECONDS = 5.0
MAX_REMEMBERED_STARTS = 256
_elections: dict[str, tuple[float, int]] = {}
_start_locks: dict[tuple[int, str], asyncio.Lock] = {}


async def viewer_election(slug: str) -> int | None:
    """The id of the election ``slug`` names, for a new viewer; None when its results are not public."""
    if (election_id := _remembered_election(slug)) is not None:
        return election_id
    key = (id(asyncio.get_running_loop()), slug)
    if len(_start_locks) > MAX_REMEMBERED_STARTS:
        _start_locks.clear()
    async with _start_locks.setdefault(key, asyncio.Lock()):
        if (election_id := _remembered_election(slug)) is not None:
            return election_id
        election_id = await database_sync_to_async(_public_election)(slug)
        if election_id is None:
            return None  # never remembered: any text can be asked for, and an election may be published any time
        if len(_elections) > MAX_REMEMBERED_STARTS:
            _elections.clear()
        _elections[slug] = (time.monotonic() + START_MEMO_SECONDS, election_id)
        return election_id


async def viewer_version(*, election_id: int, slug: str) -> int:
    """The version a new viewer's frames will follow: the last broadcast's (a version counted but never broadcast is
    one no frame will name), or the snapshot's when no broadcast is known."""
    sent = await sync_to_async(last_broadcast_version, thread_sensitive=False)(election_id=election_id)
    return sent or await database_sync_to_async(_snapshot_version)(slug)


def _public_election(slug: str) -> int | None:
    # On a cache miss the snapshot is rebuilt from the database once, here, not per message.
    snapshot = get_public_snapshot(slug=slug)
    return None if snapshot is None else int(snapshot["election"]["id"])


def _snapshot_version(slug: str) -> int:
    snapshot = get_public_snapshot(slug=slug)
    return 0 if snapshot is None else int(snapshot["version"])


def _remembered_election(slug: str) -> int | None:
    remembered = _elections.get(slug)
    return None if remembered is None or remembered[0] <= time.monotonic() else remembered[1]


class ResultsConsumer(AsyncWebsocketConsumer):
    """One public viewer of an election's results. Sends updates; takes only their acknowledgements.

    Frames do not come through a channel of the viewer's own: the process's subscription to the election's group
    (``results.hub``) offers each one to every local viewer, which writes it to its socket at once.
    """

    # No channel per viewer (see results.hub): Channels then runs the consumer on the socket's events alone.
    channel_layer_alias = "results-viewers-have-no-channel"

    election_id: int | None = None
    language: str = ""
    version: int = 0
    acknowledged: int = 0
    updates_sent: int = 0
    messages_received: int = 0
    closing: bool = False

    async def connect(self) -> None:
        self.sent_since_ack: deque[int] = deque()
        # Frames offered before the hello is sent wait here, then go through the same checks as any other.
        self.held: list[dict[str, Any]] | None = []
        # Socket events waiting behind a write that could not finish at once (a backed-up socket).
        self.backlog: deque[dict[str, Any]] = deque()
        self.writing: asyncio.Task[None] | None = None
        slug = str(self.scope["url_route"]["kwargs"]["slug"])
        election_id = await viewer_election(slug)
        if election_id is None:
            await self.close(code=NOT_PUBLIC_CLOSE_CODE)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.language = viewer_language(query.get("lang", [""])[0])
        # Subscribed before the version is read: every frame after that version reaches this viewer.
        await hub.join(election_id=election_id, language=self.language, viewer=self)
        try:
            self.version = self.acknowledged = await viewer_version(election_id=election_id, slug=slug)
            await self.accept()
        except BaseException:
            # The cache or the socket failed before the viewer was accepted: Channels will not call disconnect.
            hub.leave(election_id=election_id, language=self.language, viewer=self)
            raise
        self.election_id = election_id
        metrics.viewer_connected()
        await self.send(text_data=json.dumps({"type": "hello", "version": self.version, "ack_every": ACK_EVERY}))
        self.release_held()

    def release_held(self) -> None:
        """Once the hello is sent: offer the frames that arrived meanwhile (those not newer than it are dropped)."""
        held, self.held = self.held or [], None
        for message in held:
            self.offer(message)

    async def disconnect(self, code: int) -> None:
        metrics.viewer_disconnected(accepted=self.election_id is not None)
        self.closing = True
        if self.election_id is not None:
            hub.leave(election_id=self.election_id, language=self.language, viewer=self)
        if self.writing is not None:
            self.writing.cancel()

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
        if acknowledged is None:
            await self.close(code=NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE)
            return
        if self.messages_received > self.updates_sent + SPARE_ACKNOWLEDGEMENTS:
            await self.close(code=TOO_MANY_MESSAGES_CLOSE_CODE)
            return
        if acknowledged > self.version:
            # The page acknowledges only versions it received here: a claim beyond them would hide a stalled reader.
            await self.close(code=ACKNOWLEDGED_UNSENT_CLOSE_CODE)
            return
        self.acknowledged = max(self.acknowledged, acknowledged)

    def offer(self, message: dict[str, Any]) -> None:
        """Forward a broadcast frame unless this viewer already has that version or a newer one (``results.hub``
        calls this for every frame, in the fan-out loop: it never waits)."""
        if self.held is not None:
            self.held.append(message)
            return
        version = int(message["version"])
        if version <= self.version or self.closing:
            return
        if self.unacknowledged >= MAX_UNACKNOWLEDGED or self.frames_waiting >= MAX_FRAMES_WAITING:
            self.closing = True
            self.write({"type": "websocket.close", "code": SLOW_VIEWER_CLOSE_CODE})
            return
        self.version = version
        self.updates_sent += 1
        self.sent_since_ack.append(version)
        self.write({"type": "websocket.send", "text": message["frame"]})

    def write(self, event: dict[str, Any]) -> None:
        """Send ``event`` now, or after the events already waiting for this viewer's socket."""
        self.backlog.append(event)
        if self.writing is None:
            self._drain()

    def _drain(self) -> None:
        while self.backlog and self.writing is None:
            try:
                self.writing = hub.send_now(self.base_send, self.backlog.popleft())
            except (OSError, RuntimeError):  # The socket is gone (closed, or the server refuses): a disconnect follows.
                self._stop_writing()
                return
            if self.writing is not None:
                self.writing.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[None]) -> None:
        self.writing = None
        if task.cancelled() or task.exception() is not None:
            self._stop_writing()
            return
        self._drain()

    def _stop_writing(self) -> None:
        self.closing = True
        self.backlog.clear()

    @property
    def frames_waiting(self) -> int:
        """How many frames wait behind a write this viewer's socket has not taken yet (0 while it keeps up)."""
        return 0 if self.writing is None else len(self.backlog)

    @property
    def unacknowledged(self) -> int:
        """How many updates sent to this viewer it has not acknowledged yet."""
        while self.sent_since_ack and self.sent_since_ack[0] <= self.acknowledged:
            self.sent_since_ack.popleft()
        return len(self.sent_since_ack)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # Channels' own also closes stale database connections, a thread hop per viewer: a node dropping 5,000
        # viewers at once queued 5,000 of them on its thread pool. This consumer has no group and no database work
        # to undo.
        await self.disconnect(message.get("code", 1006))
        raise StopConsumer()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every message, a thread hop each time: with every viewer
        # acknowledging updates, that hop was half the CPU of a busy node. This consumer uses the database only in
        # connect (through database_sync_to_async, which does its own closing), so only connect keeps the hop.
        if message["type"] in WITHOUT_DATABASE:
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)


# The socket events this consumer handles without the database.
WITHOUT_DATABASE = frozenset({"websocket.receive", "websocket.disconnect"})


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
