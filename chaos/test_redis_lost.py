"""Redis is flushed, then stopped and started again, during entry: entry never depends on it, the public snapshot
equals a recount within 5 s of Redis returning, and a connected viewer resyncs to the newest version."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin

from chaos.checks import find_losses, recount, verify_audit
from chaos.clerks import Clerk, Outcome, get_json, send_entry
from chaos.clerks import sheet_body as plan_sheet
from chaos.conftest import Stack
from chaos.instances import app_server
from results.tallies import compare_snapshots

CLERKS_PER_PHASE = 8
CONVERGE_SECONDS = 5


class Viewer(threading.Thread):
    """A results page's live channel: acknowledges each update, reconnects when closed, remembers the newest
    version it holds and how it got it."""

    def __init__(self, base: str, slug: str) -> None:
        super().__init__(daemon=True)
        self.url = base.replace("http://", "ws://") + f"/ws/results/{slug}/"
        self.origin = base
        self.version = 0
        self.updates = 0
        self.reconnects = -1
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                with connect(self.url, origin=Origin(self.origin), open_timeout=5) as ws:
                    self.reconnects += 1
                    while not self.stopping.is_set():
                        try:
                            frame: dict[str, Any] = json.loads(ws.recv(timeout=0.5))
                        except TimeoutError:
                            continue
                        with self.lock:
                            self.version = max(self.version, int(frame["version"]))
                            self.updates += frame["type"] == "update"
                        if frame["type"] == "update":
                            ws.send(json.dumps({"ack": frame["version"]}))
            except (ConnectionClosed, OSError, TimeoutError):
                time.sleep(0.2)

    def newest(self) -> int:
        with self.lock:
            return self.version


def enter_sheets(bases: list[str], stack: Stack, clerks: list[Clerk], tag: str) -> list[Outcome]:
    """Each clerk's tally sheets for the contests held everywhere, one after the other."""
    rng = random.Random(tag)  # noqa: S311 - made-up votes
    outcomes = []
    for clerk in clerks:
        for contest in stack.prepared.contests:
            body = plan_sheet(clerk, contest, rng)
            key = f"{tag}:{clerk.username}:{contest['id']}"
            outcomes.append(send_entry(bases, token=clerk.token, path="tally-sheets", body=body, key=key,
                                       deadline=time.monotonic() + 30))  # fmt: skip
    return outcomes


def test_entry_and_live_results_survive_losing_redis(stack: Stack, tmp_path: Path) -> None:
    prepared = stack.prepared
    phases = [prepared.clerks[i * CLERKS_PER_PHASE : (i + 1) * CLERKS_PER_PHASE] for i in range(4)]
    results_url = f"/api/v1/results/elections/{prepared.slug}"
    with app_server(stack.env, log=tmp_path / "app.log") as app:
        viewer = Viewer(app.base, prepared.slug)
        viewer.start()
        outcomes = enter_sheets([app.base], stack, phases[0], "normal")

        stack.redis.flushall()
        outcomes += enter_sheets([app.base], stack, phases[1], "flushed")

        stack.redis.stop()
        outcomes += enter_sheets([app.base], stack, phases[2], "stopped")
        status, ready = get_json(f"{app.base}/readyz")
        assert (status, ready["checks"]) == (503, {"database": "ok", "redis": "down"})
        status, served = get_json(f"{app.base}{results_url}")
        assert status == 200, "the public results are read from the database while Redis is down"
        assert compare_snapshots(recount(stack.env, prepared.slug), served) == []

        stack.redis.start()
        returned = time.monotonic()
        while True:
            status, served = get_json(f"{app.base}{results_url}")
            served_after = time.monotonic() - returned
            differences = compare_snapshots(recount(stack.env, prepared.slug), served)
            if status == 200 and not differences:
                break
            assert served_after < CONVERGE_SECONDS, differences
            time.sleep(0.2)
        assert served_after < CONVERGE_SECONDS

        outcomes += enter_sheets([app.base], stack, phases[3], "returned")
        # Every entry was accepted at its first attempt, whatever Redis was doing.
        assert [(o.key, o.status, o.attempts) for o in outcomes if (o.status, o.attempts) != (201, 1)] == []

        # Once the last refresh is out, the snapshot equals a recount and the viewer, connected since before the
        # flush, holds its version (from a frame, or from the hello of a reconnection).
        deadline = time.monotonic() + 15
        while True:
            _status, served = get_json(f"{app.base}{results_url}")
            differences = compare_snapshots(recount(stack.env, prepared.slug), served)
            if not differences and viewer.newest() == served["version"]:
                break
            assert time.monotonic() < deadline, (differences[:3], viewer.newest(), served["version"])
            time.sleep(0.2)
        viewer.stopping.set()
        viewer.join(timeout=5)
        print(
            f"snapshot equal to a recount {served_after:.2f} s after Redis returned; viewer at version "
            f"{viewer.newest()} after {viewer.updates} updates and {viewer.reconnects} reconnection(s)"
        )
        assert find_losses(stack.database_url, outcomes) == []
        assert "chain intact" in verify_audit(stack.env)
