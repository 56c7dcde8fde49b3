"""Broadcasts of one election go out one at a time, so each frame names the version its viewers hold."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from elections.models import Election
from results.services import broadcast_snapshot, one_broadcast_at_a_time, rebuild_snapshot
from results.snapshot import Snapshot
from results.tests.support import close_sync_thread_connections, viewer  # noqa: F401 - autouse
from results.tests.test_live import collect

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def broadcast_together(snapshots: list[Snapshot]) -> None:
    """Broadcast every snapshot from its own thread, all released at the same moment."""
    start = threading.Barrier(len(snapshots))

    def send(snapshot: Snapshot) -> None:
        start.wait()
        broadcast_snapshot(snapshot)

    threads = [threading.Thread(target=send, args=(snapshot,)) for snapshot in snapshots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


async def test_concurrent_broadcasts_chain_their_versions(published: Election) -> None:
    communicator, hello = await viewer(published.slug)
    counted = await sync_to_async(rebuild_snapshot)(election=published)
    # Eight refreshes finishing at once, as under an entry peak with several threads and nodes.
    snapshots: list[Snapshot] = [{**counted, "version": counted["version"] + n} for n in range(1, 9)]
    await sync_to_async(broadcast_together)(snapshots)
    frames: list[dict[str, Any]] = await collect(communicator, 1.5)
    await communicator.disconnect()
    assert frames, "no frame reached the viewer"
    held = hello["version"]
    for frame in frames:
        # A viewer applies a frame only when it names the version it holds; otherwise it must reload the page.
        assert frame["previous"] == held, [(f["previous"], f["version"]) for f in frames]
        held = frame["version"]
    # The newest always goes out: an older one finding it sent is dropped, never the reverse.
    assert held == counted["version"] + 8


async def test_a_broadcast_waits_while_another_is_being_sent(published: Election) -> None:
    counted = await sync_to_async(rebuild_snapshot)(election=published)
    holding = threading.Event()

    def hold() -> None:
        with one_broadcast_at_a_time(published.pk):
            holding.set()
            time.sleep(0.6)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(timeout=5)
    started = time.monotonic()
    sent = await sync_to_async(broadcast_snapshot)({**counted, "version": counted["version"] + 1})
    waited = time.monotonic() - started
    holder.join(timeout=5)
    assert sent
    assert waited >= 0.4


async def test_a_viewer_of_another_election_is_not_held_up(published: Election) -> None:
    communicator: WebsocketCommunicator
    communicator, _hello = await viewer(published.slug)
    await communicator.disconnect()
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with one_broadcast_at_a_time(published.pk + 1000):
            holding.set()
            release.wait(timeout=5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(timeout=5)
    counted = await sync_to_async(rebuild_snapshot)(election=published)
    started = time.monotonic()
    assert await sync_to_async(broadcast_snapshot)({**counted, "version": counted["version"] + 1})
    assert time.monotonic() - started < 0.5
    release.set()
    holder.join(timeout=5)
