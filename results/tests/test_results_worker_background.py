"""The embedded mode's results worker (``RESULTS_WORKER=background``): a task of the server process, started by its
first request, recounts an entry off the request that committed it and broadcasts through the process's own layer."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from elections.models import Contest, Election, PollingStation
from results import services
from results.tests.support import close_sync_thread_connections, enter_sheet, viewer  # noqa: F401 - autouse
from results.worker import stop_background_worker

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Seconds to wait for the worker's frames: generous, as the machine may be running other suites beside this one.
WAIT = 30


@pytest_asyncio.fixture
async def recount_threads(published: Election, settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[int]]:
    """The background mode from here on, and the threads each recount of this process ran in."""
    settings.RESULTS_WORKER = "background"
    threads: list[int] = []
    store = services.store_snapshot

    def store_and_note(*, election_id: int) -> Any:
        threads.append(threading.get_ident())
        return store(election_id=election_id)

    monkeypatch.setattr(services, "store_snapshot", store_and_note)
    yield threads
    await stop_background_worker()


async def frame_with(communicator: WebsocketCommunicator, text: str, *, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        frame = await communicator.receive_json_from(timeout=left)
        if frame.get("type") == "update" and text in frame.get("parts", {}).get("contest-mayor", ""):
            return frame
    raise AssertionError(f"no update showing {text} within {within} s")


async def test_the_server_recounts_an_entry_in_its_background_worker_not_in_the_committing_request(
    published: Election,
    recount_threads: list[int],
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    communicator, hello = await viewer(published.slug)  # the server's first call starts its worker
    # Which first recounts what changed before it ran (the publication). Let it finish: the test database (SQLite in
    # shared memory) refuses a second writer where a database file would make it wait.
    caught_up = await communicator.receive_json_from(timeout=WAIT)
    assert caught_up["version"] > hello["version"]
    committed_in: list[int] = []

    def enter() -> None:
        committed_in.append(threading.get_ident())
        recounts_before = len(recount_threads)
        enter_sheet(station=station, contest=contest, actor=official, votes=[321, 123], key=new_key())
        # The request is answered without a recount of its own, whatever the worker does meanwhile.
        assert threading.get_ident() not in recount_threads[recounts_before:]

    try:
        await database_sync_to_async(enter)()
        frame = await frame_with(communicator, "321", within=WAIT)
    finally:
        await communicator.disconnect()
    assert frame["version"] > caught_up["version"]
    assert recount_threads
    assert committed_in[0] not in recount_threads


async def test_without_its_worker_running_a_process_recounts_after_its_own_commits(
    published: Election,
    recount_threads: list[int],
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    # A command run beside the embedded server serves no request, so no worker runs in it.
    def enter() -> int:
        enter_sheet(station=station, contest=contest, actor=official, votes=[321, 123], key=new_key())
        return threading.get_ident()

    committed_in = await database_sync_to_async(enter)()
    assert recount_threads == [committed_in]
