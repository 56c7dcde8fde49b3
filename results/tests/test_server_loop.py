"""Under an ASGI server the funnel works with the server's event loop: an entry is answered without waiting for its
recount, and a trailing refresh waits on that loop, not on a timer thread of its own."""

from __future__ import annotations

import threading
import time

import pytest
from channels.db import database_sync_to_async

from elections.models import Election
from results.services import current_version, one_broadcast_at_a_time, refresh_tallies
from results.tests.support import close_sync_thread_connections, viewer  # noqa: F401 - autouse
from results.tests.test_live import collect

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.postgres_only
async def test_under_an_asgi_server_an_entry_does_not_wait_for_its_recount(published: Election) -> None:
    communicator, hello = await viewer(published.slug)  # the application is now served by this loop
    holding, release = threading.Event(), threading.Event()

    def hold_the_broadcast() -> None:
        with one_broadcast_at_a_time(published.pk):
            holding.set()
            release.wait(3)

    holder = threading.Thread(target=hold_the_broadcast)
    holder.start()
    assert holding.wait(5)

    def timed_refresh() -> float:
        started = time.monotonic()
        refresh_tallies(election_id=published.pk)
        return time.monotonic() - started

    # Recounted in the entry's own thread, the refresh would wait for the broadcast held above.
    took = await database_sync_to_async(timed_refresh)()
    release.set()
    frame = await communicator.receive_json_from(timeout=5)
    holder.join(5)
    await communicator.disconnect()
    assert took < 1.0
    assert frame["version"] == await database_sync_to_async(current_version)(election_id=published.pk)
    assert frame["version"] > hello["version"]


async def test_under_an_asgi_server_a_trailing_refresh_fires_on_the_servers_loop(published: Election, settings) -> None:
    settings.RESULTS_BROADCAST_INTERVAL = 0.3
    communicator, hello = await viewer(published.slug)

    def refresh_twice() -> set[threading.Timer]:
        before = {t for t in threading.enumerate() if isinstance(t, threading.Timer)}
        refresh_tallies(election_id=published.pk)  # takes the window's gate
        refresh_tallies(election_id=published.pk)  # trails to the end of the window
        return {t for t in threading.enumerate() if isinstance(t, threading.Timer)} - before

    timers = await database_sync_to_async(refresh_twice)()
    frames = await collect(communicator, 1.5)
    await communicator.disconnect()
    assert timers == set()
    newest = await database_sync_to_async(current_version)(election_id=published.pk)
    assert [f["version"] for f in frames][-1] == newest == hello["version"] + 2
