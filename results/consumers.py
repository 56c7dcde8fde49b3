"""The live channel ``/ws/results/<election>/``: join the election's group, say which version is current, forward
each broadcast, leave. It never touches the ORM per message: the funnel encodes each frame once, here it is only
written to the socket.

Broadcast frames carry only what changed since the previous one, so they apply to a page holding exactly that
version. A viewer that cannot take them as they come is **conflated, not dropped**: while its socket is backed up
(the transport's own back-pressure, see ``results.hub.send_now``) or it is ``MAX_UNACKNOWLEDGED`` updates behind on
acknowledgements, it is sent nothing; once it drains, one catch-up frame (``results.catch_up``: every live part, of
the newest version) brings it to the current version. Only a viewer that stays unable to take anything for
``MAX_BEHIND_SECONDS`` is closed as slow. What one viewer has in flight is one frame and whatever its socket holds,
whatever it acknowledges; what it claims cannot hide a stalled socket.

A reconnecting page says which version it holds (``?version=<n>``): when that is older than the current one, the
catch-up frame follows the hello, so the page needs no reload over HTTP.

A viewer acknowledges every ``ACK_EVERY``-th update by sending ``{"ack": <version>}`` (the hello tells it how often:
an acknowledgement costs the server about as much as the update it answers). An acknowledgement of a version it was
never sent ends the connection.

Close codes, all in the application range (4000–4999: a WebSocket server refuses the protocol's own codes such as
1003, 1008 or 1009 for a close the application asks for, and the viewer would get 1011 instead):

- 4404 ``NOT_PUBLIC_CLOSE_CODE``: no such election, or its results are not public (the page stops reconnecting).
- 4008 ``SLOW_VIEWER_CLOSE_CODE``: unable to take any frame for ``MAX_BEHIND_SECONDS`` (the page reconnects).
- 4002 ``NOT_AN_ACKNOWLEDGEMENT_CLOSE_CODE``: a text message that is not ``{"ack": <integer>}``.
- 4003 ``UNSUPPORTED_DATA_CLOSE_CODE``: a binary message.
- 4009 ``MESSAGE_TOO_BIG_CLOSE_CODE``: a message longer than ``MAX_VIEWER_MESSAGE``.
- 4029 ``TOO_MANY_MESSAGES_CLOSE_CODE``: far more messages than updates sent.
- 4022 ``ACKNOWLEDGED_UNSENT_CLOSE_CODE``: an acknowledgement of a version this connection was never sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
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
from results.catch_up import catch_up_frame
from results.selectors import get_public_snapshot
from results.services import last_broadcast_version, viewer_language
from votetracker import metrics

logger = logging.getLogger(__name__)

# About five seconds of continuous updates at the default broadcast interval: a viewer this far behind on
# acknowledgements is sent nothing more until it catches up, then one catch-up frame.
MAX_UNACKNOWLEDGED = 20
# How often a viewer acknowledges: every this many updates (and so never more than this many behind while it keeps up).
ACK_EVERY = 8
# A viewer that can take nothing (its socket backed up, or too far behind on acknowledgements) for this long is closed
# as slow: an old phone on a bad network gets a minute to drain before it must reconnect.
MAX_BEHIND_SECONDS = 60.0
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
    slug: str = ""
    version: int = 0
    # The newest version offered that this viewer has not been sent (it was behind): a catch-up frame brings it there.
    wanted: int = 0
    # When this viewer last became unable to take a frame (monotonic seconds), or None while it keeps up.
    behind_since: float | None = None
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
        self.catching_up: asyncio.Task[None] | None = None
        slug = self.slug = str(self.scope["url_route"]["kwargs"]["slug"])
        election_id = await viewer_election(slug)
        if election_id is None:
            await self.close(code=NOT_PUBLIC_CLOSE_CODE)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.language = viewer_language(query.get("lang", [""])[0])
        held_version = _held_version(query.get("version", [""])[0])
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
        if held_version is not None and held_version < self.version:
            # The page is behind the hello: it is brought to the current version over this socket.
            self.wanted, self.version = self.version, held_version
            self.start_catch_up()
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
        for task in (self.writing, self.catching_up):
            if task is not None:
                task.cancel()

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
        self.catch_up_if_ready()

    def offer(self, message: dict[str, Any]) -> None:
        """Forward a broadcast frame unless this viewer already has that version or a newer one (``results.hub``
        calls this for every frame, in the fan-out loop: it never waits). A viewer that cannot take it now, or
        that does not hold the version the frame follows, is noted as wanting it and caught up later."""
        if self.held is not None:
            self.held.append(message)
            return
        version = int(message["version"])
        if version <= self.version or self.closing:
            return
        if self.writing is not None or self.catching_up is not None or self.unacknowledged >= MAX_UNACKNOWLEDGED:
            self.wanted = max(self.wanted, version)
            self.note_behind()
            return
        previous = message.get("previous")
        if previous is not None and int(previous) != self.version:
            # The frame applies only to a page holding ``previous``: this one would have to reload.
            self.wanted = max(self.wanted, version)
            self.start_catch_up()
            return
        self.send_frame(version, message["frame"])

    def send_frame(self, version: int, text: str) -> None:
        self.version = version
        if self.wanted <= version:
            self.wanted = 0
        self.behind_since = None
        self.updates_sent += 1
        self.sent_since_ack.append(version)
        self.write({"type": "websocket.send", "text": text})

    def note_behind(self) -> None:
        """This viewer could not take a frame: close it as slow once that has lasted ``MAX_BEHIND_SECONDS``."""
        now = time.monotonic()
        if self.behind_since is None:
            self.behind_since = now
        elif now - self.behind_since > MAX_BEHIND_SECONDS:
            self.close_as_slow()

    def close_as_slow(self) -> None:
        self.closing = True
        if self.catching_up is not None:
            self.catching_up.cancel()
        if self.writing is not None:
            # The socket has taken nothing for a minute: stop waiting on it, so the close can go out.
            self.writing.cancel()
            self.writing = None
        self.backlog.clear()
        self.write({"type": "websocket.close", "code": SLOW_VIEWER_CLOSE_CODE})

    def catch_up_if_ready(self) -> None:
        """Send the catch-up frame once this viewer wants a newer version and can take it."""
        if (
            self.wanted > self.version
            and not self.closing
            and self.writing is None
            and self.catching_up is None
            and self.unacknowledged < MAX_UNACKNOWLEDGED
        ):
            self.start_catch_up()

    def start_catch_up(self) -> None:
        self.catching_up = asyncio.ensure_future(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            frame = await catch_up_frame(
                election_id=int(self.election_id or 0),
                slug=self.slug,
                language=self.language,
                newer_than=self.version,
                at_least=self.wanted,
            )
        except Exception:  # The cache or database failed: the next broadcast tries again.
            logger.exception("Could not build a catch-up frame for a viewer of %s", self.slug)
            self.catching_up = None
            return
        self.catching_up = None
        if self.closing:
            return
        if frame is None or frame.version <= self.version:
            self.wanted = 0
            return
        if self.writing is not None:
            # The hello or another write is still going out: send the catch-up after it.
            self.wanted = max(self.wanted, frame.version)
            return
        self.send_frame(frame.version, frame.text)

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
        if self.writing is task:
            self.writing = None
        if task.cancelled() or task.exception() is not None:
            if not self.closing:
                self._stop_writing()
            return
        self._drain()
        self.catch_up_if_ready()

    def _stop_writing(self) -> None:
        self.closing = True
        self.backlog.clear()

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


def _held_version(text: str) -> int | None:
    """The version a reconnecting page says it holds (``?version=<n>``), or None when it says none or nonsense."""
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


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
