"""Scenario 2, result pages and open data: requests/s and p99 with ``wrk`` at 64 connections for the overview page,
the JSON snapshot and its 304, each next to a trivial Django view of the same size in the same app process
(uvicorn, as in production); and the database queries a cached request makes (counted in this process)."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.common import CLIENT_CPUS, PRODUCTION_SERVER, SERVER_CPUS, Result, app_server
from bench.prepare import Election
from results.tests.topology import NGINX, nginx_front

CONNECTIONS = 64
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass
class Load:
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    errors: int


def _latency(text: str, label: str) -> float | None:
    match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * UNITS[match.group(2)] if match else None


def wrk(url: str, *, seconds: float, headers: dict[str, str] | None = None) -> Load:
    """One ``wrk`` run on the load's core; every figure is read from its report."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
    command = [binary, "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    taskset = shutil.which("taskset")
    if taskset:
        command = [taskset, "-c", ",".join(map(str, sorted(CLIENT_CPUS))), *command]
    finished = subprocess.run(  # noqa: S603 - wrk on a local address
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    text = finished.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return Load(
        requests_per_s=float(rate.group(1)) if rate else 0.0,
        p50_ms=_latency(text, "50"),
        p99_ms=_latency(text, "99"),
        requests=int(total.group(1)) if total else 0,
        errors=errors,
    )


def add_p99(result: Result, label: str, load: Load, baseline: Load) -> None:
    """A load's p99 beside its baseline's, against the pages' target of 100 ms."""
    result.add(f"{label} p99", load.p99_ms, "ms", baseline=baseline.p99_ms, target="<= 100 ms",
               met=load.p99_ms is not None and load.p99_ms <= 100)  # fmt: skip


def count_queries(paths: dict[str, tuple[str, dict[str, str]]]) -> dict[str, int]:
    """Queries per request once the snapshot is cached (each path is requested once before counting)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts: dict[str, int] = {}
    for name, (path, headers) in paths.items():
        client.get(path, headers=headers)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, headers=headers)
        if response.status_code not in {200, 304}:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts[name] = len(queries.captured_queries)
    return counts


def page_cases(base: str, slug: str) -> dict[str, tuple[str, dict[str, str], int]]:
    """The requests measured (path, headers, bytes answered), read once from the server at ``base``."""
    overview_path = f"/results/{slug}/"
    snapshot_path = f"/api/v1/results/elections/{slug}"
    with urllib.request.urlopen(base + overview_path, timeout=30) as response:  # noqa: S310 - local
        overview_bytes = len(response.read())
    with urllib.request.urlopen(base + snapshot_path, timeout=30) as response:  # noqa: S310 - local
        snapshot_bytes = len(response.read())
        etag = response.headers["ETag"]
    return {
        "overview page": (overview_path, {}, overview_bytes),
        "JSON snapshot": (snapshot_path, {}, snapshot_bytes),
        "JSON snapshot 304": (snapshot_path, {"If-None-Match": etag}, 0),
    }


def measure_server(env: dict[str, str], election: Election, *, seconds: float, workers: int) -> dict[str, Load]:
    """Each case's load on uvicorn with ``workers`` processes: one pinned to the server's core, or several free to
    use every core."""
    cpus = SERVER_CPUS if workers == 1 else None
    with app_server(env, cpus=cpus, workers=workers) as server:
        cases = page_cases(server.base, election.slug)
        loads: dict[str, Load] = {}
        for name, (path, headers, _size) in cases.items():
            # Every worker keeps the last snapshot and page it read: warm them all before measuring, as a results
            # night's first seconds would.
            wrk(server.base + path, seconds=1, headers=headers)
            loads[name] = wrk(server.base + path, seconds=seconds, headers=headers)
        return loads


def measure(
    env: dict[str, str],
    election: Election,
    *,
    seconds: float,
    kind: str = PRODUCTION_SERVER,
    baselines: bool = True,
    fronted: dict[str, Load] | None = None,
) -> tuple[dict[str, tuple[str, dict[str, str], int]], dict[str, tuple[Load, Load | None]]]:
    """The cases (path, headers, bytes) and each one's load under a server of ``kind``, with the same-size baseline
    view next to it unless ``baselines`` is off; with ``fronted``, each case again through nginx with the project's
    own configuration (deploy/nginx), as deployed, into that dict."""
    with app_server(env, kind=kind, cpus=SERVER_CPUS) as server:
        cases = page_cases(server.base, election.slug)
        loads: dict[str, tuple[Load, Load | None]] = {}
        for name, (path, headers, size) in cases.items():
            measured = wrk(server.base + path, seconds=seconds, headers=headers)
            baseline = wrk(f"{server.base}/bench/bytes/{size}", seconds=seconds) if baselines else None
            loads[name] = (measured, baseline)
        if fronted is not None and Path(NGINX).exists():
            with tempfile.TemporaryDirectory() as workdir, nginx_front([server, server], Path(workdir)) as site:
                for name, (path, headers, _size) in cases.items():
                    # As on results night, nginx already holds the page from an earlier visitor: a cold start makes
                    # the first 64 requests wait on the cache lock, which nginx re-checks every 500 ms.
                    request = urllib.request.Request(site + path, headers=headers)  # noqa: S310 - local
                    with contextlib.suppress(urllib.error.HTTPError):  # the 304 case answers 304
                        urllib.request.urlopen(request, timeout=30).close()  # noqa: S310 - local
                    fronted[name] = wrk(site + path, seconds=seconds, headers=headers)
    return cases, loads


def run(env: dict[str, str], election: Election, *, seconds: float) -> Result:
    result = Result("pages", {"connections": CONNECTIONS, "seconds_each": seconds,
                              "server": f"{PRODUCTION_SERVER}, one process", "server_cpus": sorted(SERVER_CPUS),
                              "client_cpus": sorted(CLIENT_CPUS)})  # fmt: skip
    fronted: dict[str, Load] = {}
    cases, measured_loads = measure(env, election, seconds=seconds, fronted=fronted)
    loads = {name: (m, b) for name, (m, b) in measured_loads.items() if b is not None}
    queries = count_queries({name: (path, headers) for name, (path, headers, _size) in cases.items()})
    for name, (measured, baseline) in loads.items():
        ratio = measured.requests_per_s / baseline.requests_per_s if baseline.requests_per_s else 0.0
        result.add(f"{name} requests/s", measured.requests_per_s, "/s", baseline=baseline.requests_per_s,
                   target=">= 60 % of baseline", met=ratio >= 0.6)  # fmt: skip
        add_p99(result, name, measured, baseline)
        result.add(f"{name} queries/request", queries[name], "", target="0", met=queries[name] == 0)
        if measured.errors or baseline.errors:
            result.notes.append(f"{name}: {measured.errors} errors, baseline {baseline.errors}")
    for name, through in fronted.items():
        baseline = loads[name][1]
        result.add(f"{name} through nginx requests/s", through.requests_per_s, "/s", baseline=baseline.requests_per_s)
        add_p99(result, f"{name} through nginx", through, baseline)
        if through.errors:
            result.notes.append(f"{name} through nginx: {through.errors} errors")
    result.details = {
        "bytes": {name: size for name, (_p, _h, size) in cases.items()},
        "loads": {name: {"votetracker": vars(m), "baseline": vars(b)} for name, (m, b) in loads.items()},
        "queries_per_cached_request": queries,
        "through_nginx": {name: vars(load) for name, load in fronted.items()},
    }
    result.notes.append("baseline: bench.views.sized, a Django view returning as many bytes, same process")
    if fronted:
        result.notes.append(
            "through nginx: deploy/nginx's own configuration in front of the same process, which keeps public results "
            "for the second the app allows; the baseline is still the trivial view without nginx"
        )
    return result
