"""What every scenario shares: the machine and versions, percentiles, process figures from /proc, servers on
127.0.0.1, and the result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
PACKAGES = (
    "Django",
    "channels",
    "channels-redis",
    "daphne",
    "Twisted",
    "websockets",
    "redis",
    "psycopg",
    "uvicorn",
    "granian",
)
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
    status = ""
    with suppress(OSError):  # A process that has just ended has none.
        status = Path(f"/proc/{pid}/status").read_text()
    for line in status.splitlines():
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

    def children(self) -> list[int]:
        with suppress(OSError):
            return [int(pid) for pid in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        return []

    def worker_pid(self) -> int:
        """The process that serves: the server itself, or the worker it forked (granian), the largest by memory."""
        return max([self.pid, *self.children()], key=rss_kib)

    def serving_pids(self, workers: int) -> list[int]:
        """Every process that serves: the one of ``worker_pid`` or, with several workers, each worker the server's
        supervisor forked (their memory and CPU are summed; the supervisor only watches them)."""
        return self.children() if workers > 1 else [self.worker_pid()]


def total_rss_kib(pids: list[int]) -> int:
    return sum(rss_kib(pid) for pid in pids)


def total_cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


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


# The ASGI servers the benchmarks can run VoteTracker under. uvicorn is the one production runs (the image's entry
# point), so scenarios 1 to 4 use it; daphne serves `make run`.
SERVER_KINDS = ("daphne", "uvicorn", "granian")
PRODUCTION_SERVER = "uvicorn"


def server_command(kind: str, port: int, workers: int = 1) -> list[str]:
    """A server of ``kind`` serving the benchmark's ASGI application on ``port``, each with its defaults otherwise (no
    access log): one process, or for uvicorn ``workers`` processes sharing the port, as the image runs one per core
    with ``WEB_CONCURRENCY``."""
    if workers > 1 and kind != "uvicorn":
        raise ValueError(f"{kind} runs one process here")
    if kind == "daphne":
        return [str(BIN / "daphne"), "-b", HOST, "-p", str(port), "bench.asgi:application"]
    if kind == "uvicorn":
        # As the image runs it (Dockerfile), less the proxy headers.
        return [str(BIN / "uvicorn"), "bench.asgi:application", "--host", HOST, "--port", str(port), "--lifespan",
                "off", "--ws", "websockets-sansio", "--ws-max-size", "65536", "--timeout-graceful-shutdown", "25",
                "--no-server-header", "--no-access-log", "--log-level", "warning",
                *(["--workers", str(workers)] if workers > 1 else [])]  # fmt: skip
    if kind == "granian":
        # asginl: ASGI without lifespan events, which channels' router does not handle.
        return [str(BIN / "granian"), "--interface", "asginl", "--host", HOST, "--port", str(port), "--workers", "1",
                "--no-access-log", "--log-level", "warning", "bench.asgi:application"]  # fmt: skip
    raise ValueError(f"unknown ASGI server {kind!r}")


def start_server(env: dict[str, str], *, kind: str, port: int, cpus: set[int] | None, workers: int = 1) -> Server:
    """Start an ASGI server on ``port`` and return it once it answers ``/healthz`` (with several workers, once each
    of them has started)."""
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        server_command(kind, port, workers), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if cpus:
        pin(process.pid, cpus)
    server = Server(process, port)
    try:
        wait_until_answering(f"{server.base}/healthz", process)
    except BaseException:
        stop(process)
        raise
    for child in server.children() if cpus else []:
        pin(child, cpus or set())
    deadline = time.monotonic() + 60
    while workers > 1 and len(server.children()) < workers:
        if time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"{kind} started {len(server.children())} of {workers} workers")
        time.sleep(0.2)
    if workers > 1:
        time.sleep(2.0)  # the first worker answered /healthz; give the others the time it took to import the app
    return server


@contextmanager
def app_server(
    env: dict[str, str],
    *,
    kind: str = PRODUCTION_SERVER,
    cpus: set[int] | None = SERVER_CPUS,
    port: int | None = None,
    workers: int = 1,
) -> Iterator[Server]:
    """An ASGI server (``kind``) serving the benchmark's application on a free port of 127.0.0.1, with the results
    worker beside it when the servers only note changes (``results_worker``)."""
    with results_worker(env):
        server = start_server(env, kind=kind, port=port or free_port(), cpus=cpus, workers=workers)
        try:
            yield server
        finally:
            stop_server(server)


# The one results worker of the servers running now, and how many of them share it.
_worker: list[subprocess.Popen[str]] = []
_worker_users = [0]


def wants_results_worker(env: dict[str, str]) -> bool:
    """True when the servers leave recounts to ``manage.py results_worker`` (RESULTS_WORKER=process, the default of
    server mode with Redis)."""
    mode = (env.get("RESULTS_WORKER") or "").strip().lower() or ("process" if env.get("REDIS_URL") else "background")
    return mode == "process"


@contextmanager
def results_worker(env: dict[str, str]) -> Iterator[None]:
    """As a deployment runs it: one results worker while any app server of the benchmark runs, started with the first
    and stopped after the last; it is the active one once this returns. It runs on the load's core, where the server
    taking the entries recounted before, so the viewers' server keeps its core to itself."""
    if not wants_results_worker(env):
        yield
        return
    if not _worker:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "results_worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        pin(process.pid, CLIENT_CPUS)
        assert process.stdout is not None
        if process.stdout.readline().strip() != "active":  # blocks until Django is up and the lock taken
            stop(process)
            raise RuntimeError("the results worker did not become active")
        _worker.append(process)
    _worker_users[0] += 1
    try:
        yield
    finally:
        _worker_users[0] -= 1
        if not _worker_users[0]:
            stop(_worker.pop())


def stop_server(server: Server) -> None:
    """Stop a server and any worker it forked: granian's worker outlives its parent's SIGTERM."""
    children = server.children()
    stop(server.process)
    for pid in children:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def daphne(env: dict[str, str], *, cpus: set[int] | None = SERVER_CPUS) -> AbstractContextManager[Server]:
    """A daphne process serving the benchmark's ASGI application on a free port of 127.0.0.1."""
    return app_server(env, kind="daphne", cpus=cpus)


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
