"""Fan-out of live frames inside one process: one channel-layer subscription per group (an election in one
language), and from it a plain function call per local viewer.

Through Channels alone every viewer has a channel and a dispatch loop of its own, so a frame reaching 5,000 viewers
of one process cost 5,000 queue puts, 5,000 task wake-ups and 5,000 dispatches: about 300–400 µs per delivery, and
one process topped out near 1,500 frames a second. Here the layer delivers each frame to the process once; the
subscription hands it to each viewer (``Viewer.offer``), which writes it to its socket at once (``send_now``).
Across app nodes nothing changes: the layer still carries one message per group to each node.

A viewer whose socket is backed up does not hold up the others: its write finishes in a task of its own, and the
frames offered meanwhile are not queued for it: it is caught up with one frame of the newest version once the write
is done (``results.consumers``), so what a viewer is sent but has not read stays one frame whatever it acknowledges.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from channels.layers import get_channel_layer

from results.services import group_name
from votetracker import metrics

logger = logging.getLogger(__name__)

# How long a new viewer waits for its group's subscription (the layer's SUBSCRIBE) before giving up.
JOIN_TIMEOUT = 10.0
# After a failure of the layer (not a cancellation) the subscription starts again after this pause.
RESUBSCRIBE_PAUSE = 1.0

Message = dict[str, Any]


class Viewer(Protocol):
    def offer(self, message: Message) -> None:
        """Take a broadcast frame; must not block (it runs inside the fan-out loop)."""


class Subscription:
    """The process's one subscription to a group, and the viewers it feeds."""

    def __init__(self, *, election_id: int, group: str) -> None:
        self.election_id = election_id
        self.group = group
        self.viewers: set[Viewer] = set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task = asyncio.ensure_future(self.run())

    async def run(self) -> None:
        layer = get_channel_layer()
        if layer is None:  # no layer configured: nothing will ever be broadcast
            self.ready.set_result(None)
            return
        while True:
            channel = await layer.new_channel()
            try:
                await layer.group_add(self.group, channel)
                if not self.ready.done():
                    self.ready.set_result(None)
                while True:
                    self.deliver(await layer.receive(channel))
            except asyncio.CancelledError:
                await _discard(layer, self.group, channel)
                raise
            except Exception:  # The layer failed: log it and subscribe again rather than leave the viewers deaf.
                logger.exception("Live subscription to %s failed; subscribing again", self.group)
                await _discard(layer, self.group, channel)
                await asyncio.sleep(RESUBSCRIBE_PAUSE)

    def deliver(self, message: Message) -> None:
        if message.get("type") != "results.update":
            return
        metrics.observe_broadcast_lag(self.election_id, message)
        # A message without "previous" (none should lack it) leaves every viewer to be caught up instead.
        message = {**message, "frame": Utf8Text(message["frame"]), "previous": message.get("previous")}
        for viewer in tuple(self.viewers):  # a viewer may leave while the frame goes out
            try:
                viewer.offer(message)
            except Exception:  # One broken viewer must not cost the others their frame.
                logger.exception("Could not offer a frame to a viewer of %s", self.group)


async def _discard(layer: Any, group: str, channel: str) -> None:
    try:
        await layer.group_discard(group, channel)
    except Exception:  # Leaving is best effort; the layer forgets the channel with the process.
        logger.warning("Could not leave %s", group, exc_info=True)


_subscriptions: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Subscription]] = WeakKeyDictionary()


def _local() -> dict[str, Subscription]:
    return _subscriptions.setdefault(asyncio.get_running_loop(), {})


async def join(*, election_id: int, language: str, viewer: Viewer) -> None:
    """Have ``viewer`` offered every frame broadcast to ``election_id`` in ``language`` from now on.

    Returns once the process is subscribed, so a frame broadcast after this returns reaches the viewer.
    """
    group = group_name(election_id, language)
    local = _local()
    subscription = local.get(group)
    if subscription is None or subscription.task.done():
        subscription = local[group] = Subscription(election_id=election_id, group=group)
    subscription.viewers.add(viewer)
    try:
        await asyncio.wait_for(asyncio.shield(subscription.ready), JOIN_TIMEOUT)
    except BaseException:
        leave(election_id=election_id, language=language, viewer=viewer)
        raise


def leave(*, election_id: int, language: str, viewer: Viewer) -> None:
    """Stop offering frames to ``viewer``; the process unsubscribes with the group's last viewer."""
    group = group_name(election_id, language)
    local = _local()
    subscription = local.get(group)
    if subscription is None:
        return
    subscription.viewers.discard(viewer)
    if not subscription.viewers:
        del local[group]
        subscription.task.cancel()


def local_viewers(*, election_id: int, language: str) -> int:
    """How many viewers of this process follow ``election_id`` in ``language``."""
    subscription = _local().get(group_name(election_id, language))
    return 0 if subscription is None else len(subscription.viewers)


class Utf8Text(str):
    """Text that keeps its UTF-8 encoding. An ASGI server encodes a text message for every socket it writes it to
    (uvicorn calls ``text.encode()``, daphne ``text.encode("utf8")``); a frame that is not pure ASCII costs 6–15 µs
    to encode, once per viewer. Handed this, the server takes the bytes encoded once per frame in the process."""

    _utf8: bytes

    def __new__(cls, text: str) -> Utf8Text:
        self = super().__new__(cls, text)
        self._utf8 = str.encode(text)
        return self

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        if errors == "strict" and encoding.lower().replace("-", "").replace("_", "") == "utf8":
            return self._utf8
        return str.encode(self, encoding, errors)


def send_now(send: Callable[[Message], Awaitable[None]], event: Message) -> asyncio.Task[None] | None:
    """Run ``send(event)`` as far as it goes without waiting; None when it is done, else the task finishing it.

    An ASGI server's send writes to the socket's buffer and returns without suspending unless the socket is backed
    up, so thousands of viewers cost one call each, not one task each. Raises what the send raises before it
    suspends.
    """
    coroutine = send(event)
    if not asyncio.iscoroutine(coroutine):  # any other awaitable: no shortcut
        return asyncio.ensure_future(coroutine)
    try:
        waiting_on = coroutine.send(None)
    except StopIteration:
        return None
    task = asyncio.ensure_future(_Rest(coroutine, waiting_on).wait())
    # A task cancelled before its first step never reaches the coroutine: close it then (a no-op once it finished).
    task.add_done_callback(lambda _task: coroutine.close())
    return task


class _Rest:
    """The remainder of a coroutine that has been stepped once by hand, to be run by a task."""

    def __init__(self, coroutine: Any, waiting_on: Any) -> None:
        self.coroutine = coroutine
        self.waiting_on = waiting_on

    async def wait(self) -> None:
        await self

    def __await__(self) -> Generator[Any, Any, None]:
        # Hands what the coroutine waits on up to the task, and the task's answer (or exception) back down, exactly
        # as if the task had run the coroutine from its start.
        coroutine, waiting_on = self.coroutine, self.waiting_on
        while True:
            try:
                answer = yield waiting_on
            except BaseException as error:  # noqa: BLE001 - a cancellation too goes down to the coroutine
                try:
                    waiting_on = coroutine.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = coroutine.send(answer)
                except StopIteration:
                    return
