"""The results worker (``manage.py results_worker``) as deployed: real processes on the test's PostgreSQL and Redis.

The app process (this one, ``RESULTS_WORKER=process``) only notes each change; the worker recounts and broadcasts.
Exactly one worker leads (a PostgreSQL advisory lock); killing it hands over within seconds; and an entry committed
while no worker runs, its wake-up lost, is counted when one starts.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection

from elections.models import Contest, Election, PollingStation
from results import services
from results.services import changed_key, snapshot_key
from results.tallies import build_snapshot, compare_snapshots
from results.tests.support import close_sync_thread_connections, enter_sheet, viewer  # noqa: F401 - autouse
from results.wakeups import WAKEUPS_KEY
from results.worker import WORKER_LOCK_ID
from votetracker.tests.servers import server_environment

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
# A worker process needs a second or two to start Django before it says what it is.
START_SECONDS = 30.0
# A standing-by worker asks for the lock every second: it must lead this soon after the leader is killed.
HANDOVER_SECONDS = 10.0


class WorkerProcess:
    """One ``manage.py results_worker`` on the test's database and Redis, and the roles it announces."""

    def __init__(self, log: Path) -> None:
        self.log = log
        with log.open("w") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "results_worker"],
                cwd=ROOT,
                env={**server_environment(), "RESULTS_WORKER": "process"},
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        self.said: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.said.put(line.strip())

    def says(self, state: str, *, within: float = START_SECONDS) -> bool:
        """True once the worker announces ``state`` (``active`` or ``standing by``) within ``within`` seconds."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                if self.said.get(timeout=left) == state:
                    return True
            except queue.Empty:
                break
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[], WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def recounts_here(published: Election, settings, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Run the app side in worker mode from here on, and list every recount this process makes (there should be
    none: the worker makes them)."""
    settings.RESULTS_WORKER = "process"
    made: list[int] = []
    store = services.store_snapshot

    def store_and_note(*, election_id: int) -> Any:
        made.append(election_id)
        return store(election_id=election_id)

    monkeypatch.setattr(services, "store_snapshot", store_and_note)
    return made


async def frame_with(communicator: WebsocketCommunicator, text: str, *, within: float) -> dict[str, Any]:
    """The first update whose mayor's part shows ``text``, skipping older ones (a worker taking over recounts)."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        frame = await communicator.receive_json_from(timeout=left)
        if frame.get("type") == "update" and text in frame.get("parts", {}).get("contest-mayor", ""):
            return frame
    raise AssertionError(f"no update showing {text} within {within} s")


def served_differences(election: Election) -> list[str]:
    """How the cached snapshot differs from a recount of the database (nothing cached is a difference too)."""
    served = cache.get(snapshot_key(election.slug))
    if served is None:
        return ["nothing cached"]
    return compare_snapshots(build_snapshot(election=election, version=served["version"]), served)


def advisory_lock_holders() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = %s "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [WORKER_LOCK_ID],
        )
        return int(cursor.fetchone()[0])


async def test_an_entry_committed_without_a_recount_here_reaches_viewers_and_the_snapshot_through_the_worker(
    published: Election,
    recounts_here: list[int],
    start_worker: Callable[[], WorkerProcess],
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    worker = start_worker()
    assert await sync_to_async(worker.says)("active")
    communicator, hello = await viewer(published.slug)
    try:
        await database_sync_to_async(enter_sheet)(
            station=station, contest=contest, actor=official, votes=[321, 123], key=new_key()
        )
        frame = await frame_with(communicator, "321", within=30)
    finally:
        await communicator.disconnect()
    assert frame["version"] > hello["version"]
    assert recounts_here == []
    served = await sync_to_async(cache.get)(snapshot_key(published.slug))
    assert served["version"] >= frame["version"]
    assert await database_sync_to_async(served_differences)(published) == []


async def test_of_two_workers_only_one_leads_and_killing_it_hands_over_within_seconds(
    published: Election,
    recounts_here: list[int],
    start_worker: Callable[[], WorkerProcess],
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    first = start_worker()
    assert await sync_to_async(first.says)("active")
    second = start_worker()
    assert await sync_to_async(second.says)("standing by")
    # It keeps standing by: it has asked for the lock a few times by now.
    assert not await sync_to_async(second.says)("active", within=2.5)
    assert await database_sync_to_async(advisory_lock_holders)() == 1

    communicator, _hello = await viewer(published.slug)
    try:
        killed = time.monotonic()
        await sync_to_async(first.kill)()
        assert await sync_to_async(second.says)("active", within=HANDOVER_SECONDS)
        handover = time.monotonic() - killed
        await database_sync_to_async(enter_sheet)(
            station=station, contest=contest, actor=official, votes=[432, 234], key=new_key()
        )
        await frame_with(communicator, "432", within=30)
    finally:
        await communicator.disconnect()
    assert handover < HANDOVER_SECONDS
    assert await database_sync_to_async(advisory_lock_holders)() == 1
    assert recounts_here == []
    assert await database_sync_to_async(served_differences)(published) == []


async def test_an_entry_committed_while_no_worker_runs_is_counted_when_one_starts(
    published: Election,
    recounts_here: list[int],
    start_worker: Callable[[], WorkerProcess],
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    communicator, hello = await viewer(published.slug)
    try:
        await database_sync_to_async(enter_sheet)(
            station=station, contest=contest, actor=official, votes=[443, 245], key=new_key()
        )
        # Nobody recounts: the served results do not show the entry yet.
        assert await communicator.receive_nothing(timeout=0.5)
        assert await database_sync_to_async(served_differences)(published) != []
        # And Redis lost what the app noted (flushed, restarted): only the database knows of the entry.
        await sync_to_async(cache.delete_many)([WAKEUPS_KEY, changed_key(published.slug)])

        worker = start_worker()
        assert await sync_to_async(worker.says)("active")
        frame = await frame_with(communicator, "443", within=30)
    finally:
        await communicator.disconnect()
    assert frame["version"] > hello["version"]
    assert recounts_here == []
    assert await database_sync_to_async(served_differences)(published) == []
