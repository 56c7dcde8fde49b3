"""What the fan-out scenarios share: the viewers' client process (``bench.viewers``) and the figures of one
measured window, read from its report."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import CLIENT_CPUS, ROOT, cpu_seconds, percentile, pin, stop


def served_version(base: str, slug: str) -> int:
    """The version of the snapshot a server serves now (the same figure its pages and viewers get)."""
    with urllib.request.urlopen(f"{base}/api/v1/results/elections/{slug}", timeout=30) as response:  # noqa: S310
        return int(json.loads(response.read())["version"])


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
    # The slow viewers' own figures (bench.viewers --slow-share), when there were any.
    slow: dict[str, Any] | None = None

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
            "p50_ms": ms(percentile(self.latencies, 50)),
            "p99_ms": ms(percentile(self.latencies, 99)),
            "p50_from_entry_ms": ms(percentile(self.latencies_from_entry, 50)),
            "p99_from_entry_ms": ms(percentile(self.latencies_from_entry, 99)),
            "deliveries": self.deliveries,
            "deliveries_per_s": self.deliveries / self.seconds if self.seconds else None,
            "lost": self.lost,
            "server_cpu_percent": 100 * self.cpu_seconds / self.seconds if self.seconds else None,
            "server_cpu_us_per_delivery": per_delivery,
            "closed_early": self.closed_early,
        }


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


# The two viewer clients: "lean" reads only what it must of each frame (bench.viewers), "browser" parses every frame
# in full with Node's ws library and JSON.parse, as the page does (bench/viewers_ws.mjs). Same arguments, same report.
CLIENTS = ("lean", "browser")


def client_command(client: str) -> list[str]:
    if client == "lean":
        return [sys.executable, "-m", "bench.viewers"]
    if client == "browser":
        node = shutil.which("node")
        if node is None or not (ROOT / "node_modules" / "ws").is_dir():
            raise RuntimeError("the browser-like client needs node and `npm ci` (make newman-deps)")
        return [node, str(ROOT / "bench" / "viewers_ws.mjs")]
    raise ValueError(f"unknown viewer client {client!r}; expected one of {CLIENTS}")


class Viewers:
    """The client process, pinned to the load's core."""

    def __init__(
        self,
        url: str,
        viewers: int,
        max_seconds: float,
        client: str = "lean",
        slow_share: float = 0.0,
        slow_cycle: float = 10.0,
    ) -> None:
        self.out = Path(tempfile.mkstemp(prefix="bench-viewers-", suffix=".json")[1])
        slow = ["--slow-share", str(slow_share), "--slow-cycle", str(slow_cycle)] if slow_share else []
        if slow and client != "lean":
            raise ValueError("slow viewers are a feature of the lean client")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed program, fixed arguments
            [*client_command(client), "--url", url, "--viewers", str(viewers), "--out", str(self.out),
             "--max-seconds", str(max_seconds), *slow],
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


def window_from(
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
        slow=report.get("slow") if report.get("slow", {}).get("viewers") else None,
    )


def wait_until_quiet(read_version: Callable[[], int], *, quiet: float, timeout: float = 60) -> int:
    """Wait until the version has not moved for ``quiet`` seconds (the last coalesced recount is out); return it."""
    deadline = time.monotonic() + timeout
    version, since = read_version(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.25)
        now = read_version()
        if now != version:
            version, since = now, time.monotonic()
    return version


def forced_reloads(report: dict[str, Any]) -> tuple[int, dict[str, int]]:
    """Frames that did not follow on from the version the viewers held before them (their ``previous`` names another
    version), each of which makes the page script reload the page; and every frame's ``previous``."""
    held = int(report["newest_hello"])
    reloads = 0
    previous: dict[str, int] = {}
    for version in sorted(int(v) for v in report["versions"] if int(v) > held):
        seen = report["versions"][str(version)]
        previous[str(version)] = int(seen["previous"])
        if int(seen["previous"]) != held:
            reloads += len(seen["receipts"])
        held = version
    return reloads, previous


def wait_until_idle(pid: int, *, limit: float, busy_percent: float = 10.0) -> float:
    """Wait (at most ``limit`` seconds) until a server has stopped working through a backlog of frames: under
    ``busy_percent`` CPU for a whole second. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if 100 * (cpu_seconds(pid) - before) < busy_percent:
            break
    return time.monotonic() - started
