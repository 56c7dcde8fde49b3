"""Scenario 1, live fan-out: N idle viewers on /ws/results/<election>/ of one daphne process, updates at a fixed
rate from real entries sent to a second daphne process (server mode: both on PostgreSQL and Redis), against a bare
``websockets`` broadcast loop with the same N, message size, rate and client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    BIN,
    CLIENT_CPUS,
    HOST,
    ROOT,
    SERVER_CPUS,
    Result,
    cpu_seconds,
    daphne,
    free_port,
    percentile,
    pin,
    rss_kib,
    stop,
)
from bench.feed import Client, Feeder
from bench.prepare import results_version

SETTLE_SECONDS = 3.0


@dataclass
class Window:
    """What one side measured while its viewers were connected."""

    connected: int
    failed: int
    connect_seconds: float
    rss_before_kib: int
    rss_after_kib: int
    cpu_seconds: float
    seconds: float
    deliveries: int
    lost: int
    latencies: list[float]
    latencies_from_entry: list[float]
    frame_bytes: int
    closed_early: dict[str, int]
    updates: int

    def figures(self) -> dict[str, Any]:
        per_delivery = self.cpu_seconds / self.deliveries * 1e6 if self.deliveries else None
        return {
            "viewers": self.connected,
            "failed_to_connect": self.failed,
            "connect_seconds": round(self.connect_seconds, 2),
            "updates": self.updates,
            "frame_bytes": self.frame_bytes,
            "rss_per_connection_kib": (self.rss_after_kib - self.rss_before_kib) / self.connected
            if self.connected
            else None,
            "p50_ms": _ms(percentile(self.latencies, 50)),
            "p99_ms": _ms(percentile(self.latencies, 99)),
            "p50_from_entry_ms": _ms(percentile(self.latencies_from_entry, 50)),
            "p99_from_entry_ms": _ms(percentile(self.latencies_from_entry, 99)),
            "deliveries": self.deliveries,
            "deliveries_per_s": self.deliveries / self.seconds if self.seconds else None,
            "lost": self.lost,
            "server_cpu_percent": 100 * self.cpu_seconds / self.seconds if self.seconds else None,
            "server_cpu_us_per_delivery": per_delivery,
            "closed_early": self.closed_early,
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


class Viewers:
    """The client process, pinned to the load's core."""

    def __init__(self, url: str, viewers: int, max_seconds: float) -> None:
        self.out = Path(tempfile.mkstemp(prefix="bench-viewers-", suffix=".json")[1])
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "bench.viewers", "--url", url, "--viewers", str(viewers), "--out", str(self.out),
             "--max-seconds", str(max_seconds)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        pin(self.process.pid, CLIENT_CPUS)

    def ready(self) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            raise RuntimeError(f"the viewers did not connect: {line!r}")

    def finish(self) -> dict[str, Any]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            stop(self.process)
        report: dict[str, Any] = json.loads(self.out.read_text())
        self.out.unlink(missing_ok=True)
        return report


def _window(
    report: dict[str, Any],
    *,
    rss: tuple[int, int],
    cpu: float,
    seconds: float,
    updates: int,
    entry_times: dict[int, float] | None = None,
    expected: set[int] | None = None,
) -> Window:
    newest_hello = int(report["newest_hello"])
    latencies: list[float] = []
    from_entry: list[float] = []
    deliveries = 0
    delivered: set[int] = set()
    coalesced: set[int] = set()
    for key, seen in report["versions"].items():
        version = int(key)
        if version <= newest_hello:
            continue
        delivered.add(version)
        coalesced.update(range(int(seen["previous"]) + 1, version))
        deliveries += len(seen["receipts"])
        latencies.extend(at - seen["stamped"] for at in seen["receipts"])
        if entry_times and version in entry_times:
            from_entry.extend(at - entry_times[version] for at in seen["receipts"])
    lost = int(report["lost"])
    if expected is not None:
        # A version that was committed, not left out by coalescing, yet reached nobody, was lost by everyone.
        lost += len(expected - delivered - coalesced) * int(report["connected"])
    return Window(
        connected=int(report["connected"]),
        failed=int(report["failed"]),
        connect_seconds=float(report["connect_seconds"]),
        rss_before_kib=rss[0],
        rss_after_kib=rss[1],
        cpu_seconds=cpu,
        seconds=seconds,
        deliveries=deliveries,
        lost=lost,
        latencies=latencies,
        latencies_from_entry=from_entry,
        frame_bytes=int(report["frame_bytes"]),
        closed_early=dict(report["closed_early"]),
        updates=updates,
    )


def measure_votetracker(
    env: dict[str, str], feeder: Feeder, *, viewers: int, updates: int, rate: float
) -> tuple[Window, list[int]]:
    election = feeder.election
    with daphne(env, cpus=SERVER_CPUS) as live, daphne(env, cpus=CLIENT_CPUS) as entry:
        with urllib.request.urlopen(f"{live.base}/results/{election.slug}/", timeout=30):  # noqa: S310 - local
            pass
        rss_before = rss_kib(live.pid)
        url = f"ws://{HOST}:{live.port}/ws/results/{election.slug}/"
        client = Viewers(url, viewers, max_seconds=120 + updates / rate + viewers / 50)
        try:
            client.ready()
            time.sleep(1.0)
            rss_after = rss_kib(live.pid)
            first = results_version(election.election_id)
            poster = Client(feeder, entry.port, seed=viewers)
            cpu_before, started = cpu_seconds(live.pid), time.monotonic()
            entry_times: dict[int, float] = {}
            statuses: list[int] = []
            for index in range(updates):
                time.sleep(max(0.0, started + index / rate - time.monotonic()))
                sent = poster.post(election.pairs[index % len(election.pairs)])
                statuses.append(sent.status)
                # Entries go one at a time and each commit bumps the version once: the n-th entry is version first+n.
                entry_times[first + index + 1] = sent.started
            poster.close()
            time.sleep(max(0.0, started + updates / rate + SETTLE_SECONDS - time.monotonic()))
            cpu_after, seconds = cpu_seconds(live.pid), time.monotonic() - started
            last = results_version(election.election_id)
        finally:
            report = client.finish()
    window = _window(
        report,
        rss=(rss_before, rss_after),
        cpu=cpu_after - cpu_before,
        seconds=seconds,
        updates=updates,
        entry_times=entry_times,
        expected=set(range(first + 1, last + 1)),
    )
    return window, statuses


def measure_bare(*, viewers: int, updates: int, rate: float, frame_bytes: int) -> Window:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "bench.bare", "--port", str(port), "--bytes", str(frame_bytes), "--rate", str(rate),
         "--count", str(updates)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    pin(server.pid, SERVER_CPUS)
    try:
        assert server.stdout is not None
        server.stdout.readline()
        rss_before = rss_kib(server.pid)
        client = Viewers(f"ws://{HOST}:{port}/", viewers, max_seconds=120 + updates / rate + viewers / 50)
        try:
            client.ready()
            time.sleep(1.0)
            rss_after = rss_kib(server.pid)
            cpu_before, started = cpu_seconds(server.pid), time.monotonic()
            server.send_signal(signal.SIGUSR1)
            time.sleep(updates / rate + SETTLE_SECONDS)
            cpu_after, seconds = cpu_seconds(server.pid), time.monotonic() - started
        finally:
            report = client.finish()
    finally:
        stop(server)
    return _window(report, rss=(rss_before, rss_after), cpu=cpu_after - cpu_before, seconds=seconds, updates=updates)


def run(env: dict[str, str], feeder: Feeder, *, viewers: int, updates: int, rate: float = 2.0) -> Result:
    result = Result(
        f"fanout-{viewers}",
        {"viewers": viewers, "updates": updates, "rate_per_s": rate, "mode": "server (2 daphne on PostgreSQL+Redis)",
         "server_cpus": sorted(SERVER_CPUS), "client_cpus": sorted(CLIENT_CPUS), "daphne": str(BIN / "daphne"),
         "pid": os.getpid()},
    )  # fmt: skip
    app, statuses = measure_votetracker(env, feeder, viewers=viewers, updates=updates, rate=rate)
    bare = measure_bare(viewers=viewers, updates=updates, rate=rate, frame_bytes=max(app.frame_bytes, 300))
    a, b = app.figures(), bare.figures()
    result.details = {"votetracker": a, "bare_websockets": b, "entry_statuses": statuses}
    kib_target = a["rss_per_connection_kib"] is not None and a["rss_per_connection_kib"] <= 100
    result.add("viewers connected", a["viewers"], "", baseline=b["viewers"], met=a["failed_to_connect"] == 0)
    result.add("memory / connection", a["rss_per_connection_kib"], "KiB", baseline=b["rss_per_connection_kib"],
               target="<= 100 KiB", met=kib_target)  # fmt: skip
    p50, p99 = a["p50_ms"], a["p99_ms"]
    result.add("p50 commit->receipt", p50, "ms", baseline=b["p50_ms"], target="<= 250 ms",
               met=p50 is not None and p50 <= 250)  # fmt: skip
    result.add("p99 commit->receipt", p99, "ms", baseline=b["p99_ms"], target="<= 1000 ms",
               met=p99 is not None and p99 <= 1000)  # fmt: skip
    result.add("p99 entry sent->receipt", a["p99_from_entry_ms"], "ms")
    result.add("messages lost", a["lost"], "", baseline=b["lost"], target="0", met=a["lost"] == 0)
    ratio = a["deliveries_per_s"] / b["deliveries_per_s"] if a["deliveries_per_s"] and b["deliveries_per_s"] else 0
    result.add("deliveries/s", a["deliveries_per_s"], "/s", baseline=b["deliveries_per_s"],
               target=">= 50 % of baseline", met=ratio >= 0.5)  # fmt: skip
    result.add("server CPU / delivery", a["server_cpu_us_per_delivery"], "µs", baseline=b["server_cpu_us_per_delivery"])
    result.add("server CPU", a["server_cpu_percent"], "%", baseline=b["server_cpu_percent"])
    result.add("frame size", a["frame_bytes"], "B", baseline=b["frame_bytes"])
    if any(status != 201 for status in statuses):
        result.notes.append(f"entries not answered 201: {sum(s != 201 for s in statuses)} of {len(statuses)}")
    result.notes.append(
        "commit->receipt is measured from the snapshot's updated_at (stamped at the recount right after the commit) "
        "to the viewer's receipt; 'entry sent->receipt' from the start of the POST that made the version."
    )
    return result
