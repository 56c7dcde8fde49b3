"""What every scenario shares: the machine and versions, percentiles, process figures from /proc, servers on
127.0.0.1, and the result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
PACKAGES = ("Django", "channels", "channels-redis", "daphne", "Twisted", "websockets", "redis", "psycopg", "uvicorn")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The server gets the first core, the load (clients, wrk) the second, where the machine has two.
SERVER_CPUS = {0}
CLIENT_CPUS = {1} if (os.cpu_count() or 1) > 1 else {0}


def machine() -> dict[str, Any]:
    """Cores, memory and the versions that decide the figures."""
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cores": os.cpu_count(),
        "memory_mib": memory_kib // 1024,
        "kernel": platform.release(),
        "versions": versions,
    }


def raise_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit (children inherit it); return the new limit."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def pin(pid: int, cpus: set[int]) -> None:
    with suppress(OSError):
        os.sched_setaffinity(pid, cpus)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


def wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a local server started here
                return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the server behind {url} did not start") from None
            time.sleep(0.2)


@contextmanager
def daphne(env: dict[str, str], *, cpus: set[int] | None = SERVER_CPUS) -> Iterator[Server]:
    """A daphne process serving the benchmark's ASGI application on a free port of 127.0.0.1."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own daphne, fixed arguments
        [str(BIN / "daphne"), "-b", HOST, "-p", str(port), "bench.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if cpus:
        pin(process.pid, cpus)
    server = Server(process, port)
    try:
        wait_until_answering(f"{server.base}/healthz", process)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


@dataclass
class Figure:
    """One row of the summary: a measured value, its baseline, and the target it is held to."""

    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


@dataclass
class Result:
    name: str
    parameters: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        value: float | None,
        unit: str,
        *,
        baseline: float | None = None,
        target: str = "",
        met: bool | None = None,
    ) -> None:
        self.figures.append(Figure(name, value, unit, baseline, target, met))

    def write(self, machine_info: dict[str, Any]) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{self.name}.json"
        body = {
            "name": self.name,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": machine_info,
            "parameters": self.parameters,
            "figures": [
                {
                    "name": f.name,
                    "value": f.value,
                    "unit": f.unit,
                    "baseline": f.baseline,
                    "ratio_to_baseline": f.ratio,
                    "target": f.target,
                    "met": f.met,
                }
                for f in self.figures
            ],
            "details": self.details,
            "notes": self.notes,
        }
        path.write_text(json.dumps(body, indent=2, default=str) + "\n")
        return path


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def summary_table(results: Sequence[Result]) -> str:
    header = ("scenario", "figure", "value", "unit", "baseline", "ratio", "target", "met")
    rows: list[tuple[str, ...]] = [header]
    for result in results:
        for f in result.figures:
            met = "" if f.met is None else ("yes" if f.met else "NO")
            rows.append((result.name, f.name, fmt(f.value), f.unit, fmt(f.baseline), fmt(f.ratio), f.target, met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
