"""Scenario 1, live fan-out: N idle viewers on /ws/results/<election>/ of one app process (uvicorn, as in
production), updates at a fixed rate from real entries sent to a second one (server mode: both on PostgreSQL and
Redis), against a bare ``websockets`` broadcast loop with the same N, message size, rate and client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack

from bench.common import (
    BIN,
    CLIENT_CPUS,
    HOST,
    PRODUCTION_SERVER,
    ROOT,
    SERVER_CPUS,
    Result,
    app_server,
    cpu_seconds,
    free_port,
    percentile,
    pin,
    rss_kib,
    stop,
    total_cpu_seconds,
    total_rss_kib,
)
from bench.feed import Client, Feeder
from bench.live import Viewers, Window, ms, served_version, window_from

SETTLE_SECONDS = 3.0


def measure_votetracker(
    env: dict[str, str],
    feeder: Feeder,
    *,
    viewers: int,
    updates: int,
    rate: float,
    kind: str = PRODUCTION_SERVER,
    single: bool = False,
    client: str = "lean",
    slow_share: float = 0.0,
    slow_cycle: float = 10.0,
    workers: int = 1,
) -> tuple[Window, list[int]]:
    """Viewers on one server of ``kind``; entries through a second one, or the same one when ``single`` (the
    embedded mode, where only the viewers' own process can tell them). Versions are read from the entry side: the
    viewers' server may be too busy to answer in time. With ``workers`` above one the viewers' server is a node's
    (one process per core, free to run on every core) and its memory and CPU are those of all its workers."""
    election = feeder.election
    with ExitStack() as servers:
        cpus = SERVER_CPUS if workers == 1 else None
        live = servers.enter_context(app_server(env, kind=kind, cpus=cpus, workers=workers))
        entry = live if single else servers.enter_context(app_server(env, kind=kind, cpus=CLIENT_CPUS))
        with urllib.request.urlopen(f"{live.base}/results/{election.slug}/", timeout=30):  # noqa: S310 - local
            pass
        pids = live.serving_pids(workers)
        rss_before = total_rss_kib(pids)
        url = f"ws://{HOST}:{live.port}/ws/results/{election.slug}/"
        watchers = Viewers(
            url, viewers, max_seconds=120 + updates / rate + viewers / 50, client=client, slow_share=slow_share,
            slow_cycle=slow_cycle,
        )  # fmt: skip
        try:
            watchers.ready()
            time.sleep(1.0)
            rss_after = total_rss_kib(pids)
            first = served_version(entry.base, election.slug)
            poster = Client(feeder, entry.port, seed=viewers)
            cpu_before, started = total_cpu_seconds(pids), time.monotonic()
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
            cpu_after, seconds = total_cpu_seconds(pids), time.monotonic() - started
            last = served_version(entry.base, election.slug)
        finally:
            report = watchers.finish()
    window = window_from(
        report,
        rss=(rss_before, rss_after),
        cpu=cpu_after - cpu_before,
        seconds=seconds,
        updates=updates,
        entry_times=entry_times,
        expected=set(range(first + 1, last + 1)),
    )
    return window, statuses


def measure_bare(
    *, viewers: int, updates: int, rate: float, frame_bytes: int, client: str = "lean", slow_share: float = 0.0,
    slow_cycle: float = 10.0,
) -> Window:  # fmt: skip
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
        watchers = Viewers(
            f"ws://{HOST}:{port}/",
            viewers,
            max_seconds=120 + updates / rate + viewers / 50,
            client=client,
            slow_share=slow_share,
            slow_cycle=slow_cycle,
        )
        try:
            watchers.ready()
            time.sleep(1.0)
            rss_after = rss_kib(server.pid)
            cpu_before, started = cpu_seconds(server.pid), time.monotonic()
            server.send_signal(signal.SIGUSR1)
            time.sleep(updates / rate + SETTLE_SECONDS)
            cpu_after, seconds = cpu_seconds(server.pid), time.monotonic() - started
        finally:
            report = watchers.finish()
    finally:
        stop(server)
    return window_from(
        report, rss=(rss_before, rss_after), cpu=cpu_after - cpu_before, seconds=seconds, updates=updates
    )


def add_slow_figures(result: Result, app: Window, bare: Window) -> None:
    """The slow viewers' figures: how long after reading again each held the newest version, and that none was
    closed (the others' latency is the scenario's p99, which counts only viewers that keep up)."""
    slow = app.slow or {}
    waits = [float(seconds) for seconds in slow.get("catch_up_seconds", [])]
    bare_waits = [float(seconds) for seconds in (bare.slow or {}).get("catch_up_seconds", [])]
    p99 = percentile(waits, 99)
    result.add("slow viewers", slow.get("viewers"), "", baseline=(bare.slow or {}).get("viewers"))
    result.add("slow: catch-ups measured", len(waits), "", baseline=len(bare_waits))
    result.add(
        "slow: p50 newest after reading", ms(percentile(waits, 50)), "ms", baseline=ms(percentile(bare_waits, 50))
    )
    result.add("slow: p99 newest after reading", ms(p99), "ms", baseline=ms(percentile(bare_waits, 99)),
               target="<= 2000 ms", met=p99 is not None and p99 <= 2.0)  # fmt: skip
    result.add("slow: still behind at the end", slow.get("still_behind"), "", target="0",
               met=slow.get("still_behind") == 0)  # fmt: skip
    closed = sum(app.closed_early.values())
    result.add("viewers closed (any)", closed, "", target="0", met=closed == 0)


def run(
    env: dict[str, str],
    feeder: Feeder,
    *,
    viewers: int,
    updates: int,
    rate: float = 2.0,
    single: bool = False,
    name: str = "",
    mode: str = f"server (2 {PRODUCTION_SERVER} on PostgreSQL+Redis)",
    kind: str = PRODUCTION_SERVER,
    client: str = "lean",
    slow_share: float = 0.0,
    slow_cycle: float = 10.0,
) -> Result:
    default_name = f"fanout-{viewers}" if client == "lean" else f"fanout-{client}-{viewers}"
    result = Result(
        name or (f"fanout-slow-{viewers}" if slow_share else default_name),
        {"viewers": viewers, "updates": updates, "rate_per_s": rate, "mode": mode, "client": client,
         "slow_share": slow_share, "slow_cycle_seconds": slow_cycle,
         "server_cpus": sorted(SERVER_CPUS), "client_cpus": sorted(CLIENT_CPUS), "server": str(BIN / kind),
         "pid": os.getpid()},
    )  # fmt: skip
    app, statuses = measure_votetracker(
        env, feeder, viewers=viewers, updates=updates, rate=rate, kind=kind, single=single, client=client,
        slow_share=slow_share, slow_cycle=slow_cycle,
    )  # fmt: skip
    bare = measure_bare(
        viewers=viewers, updates=updates, rate=rate, frame_bytes=max(app.frame_bytes, 300), client=client,
        slow_share=slow_share, slow_cycle=slow_cycle,
    )  # fmt: skip
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
    if app.slow is not None:
        add_slow_figures(result, app, bare)
    if any(status != 201 for status in statuses):
        result.notes.append(f"entries not answered 201: {sum(s != 201 for s in statuses)} of {len(statuses)}")
    result.notes.append(
        "commit->receipt is measured from the snapshot's updated_at (stamped at the recount right after the commit) "
        "to the viewer's receipt; 'entry sent->receipt' from the start of the POST that made the version."
    )
    return result
