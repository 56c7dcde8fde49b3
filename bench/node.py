"""Scenario 7, every core: a node as the image runs it with ``WEB_CONCURRENCY`` set to its cores (uvicorn with one
worker process per core sharing the port, each subscribed to the live channel, recounts in the results worker),
against one process, the same run. Live fan-out at N viewers (entries through a second server, as in scenario 1) and
pages at 64 connections with the app alone. On this machine the load shares the node's cores: a node of its own
would do better than measured here."""

from __future__ import annotations

import os

from bench.common import CLIENT_CPUS, PRODUCTION_SERVER, Result
from bench.fanout import measure_votetracker
from bench.feed import Feeder
from bench.live import Window
from bench.pages import CONNECTIONS, Load, add_p99, measure_server
from bench.prepare import Election

RATE = 2.0


def cores() -> int:
    return len(os.sched_getaffinity(0))


def _fanout_figures(window: Window) -> dict[str, float | int | None]:
    figures = window.figures()
    return {key: figures[key] for key in ("viewers", "failed_to_connect", "rss_per_connection_kib", "p50_ms", "p99_ms",
                                          "lost", "deliveries_per_s", "server_cpu_us_per_delivery")}  # fmt: skip


def run_fanout(env: dict[str, str], feeder: Feeder, *, viewers: int, updates: int) -> Result:
    """N viewers on a node of one process per core, against the same N on one process."""
    workers = max(cores(), 2)
    result = Result(
        f"node-fanout-{viewers}",
        {"viewers": viewers, "updates": updates, "rate_per_s": RATE, "workers": workers, "server": PRODUCTION_SERVER,
         "client_cpus": sorted(CLIENT_CPUS), "baseline": "the same N viewers on one process, pinned to one core"},
    )  # fmt: skip
    node, statuses = measure_votetracker(env, feeder, viewers=viewers, updates=updates, rate=RATE, workers=workers)
    one, _ = measure_votetracker(env, feeder, viewers=viewers, updates=updates, rate=RATE)
    a, b = _fanout_figures(node), _fanout_figures(one)
    result.details = {"node": a, "one_process": b, "entry_statuses": statuses}
    result.add("viewers connected", a["viewers"], "", baseline=b["viewers"], met=a["failed_to_connect"] == 0)
    kib = a["rss_per_connection_kib"]
    result.add("memory / connection (all workers)", kib, "KiB", baseline=b["rss_per_connection_kib"],
               target="<= 50 KiB", met=kib is not None and kib <= 50)  # fmt: skip
    result.add("p50 commit->receipt", a["p50_ms"], "ms", baseline=b["p50_ms"])
    p99 = a["p99_ms"]
    result.add("p99 commit->receipt", p99, "ms", baseline=b["p99_ms"], target="<= 1000 ms",
               met=p99 is not None and p99 <= 1000)  # fmt: skip
    result.add("messages lost", a["lost"], "", baseline=b["lost"], target="0", met=a["lost"] == 0)
    result.add("deliveries/s", a["deliveries_per_s"], "/s", baseline=b["deliveries_per_s"])
    result.add("server CPU / delivery", a["server_cpu_us_per_delivery"], "µs", baseline=b["server_cpu_us_per_delivery"])
    result.notes.append(
        f"node: uvicorn --workers {workers} on every core, the viewers' client and the entry server sharing them; "
        "baseline: one uvicorn process pinned to one core, the load on the other"
    )
    return result


def run_pages(env: dict[str, str], election: Election, *, seconds: float) -> Result:
    """The overview page and the JSON snapshot at 64 connections, the app alone (no nginx), on a node of one process
    per core against one process."""
    workers = max(cores(), 2)
    result = Result(
        "node-pages",
        {"connections": CONNECTIONS, "seconds_each": seconds, "workers": workers, "server": PRODUCTION_SERVER,
         "baseline": "one uvicorn process pinned to one core, wrk on the other"},
    )  # fmt: skip
    node = measure_server(env, election, seconds=seconds, workers=workers)
    one = measure_server(env, election, seconds=seconds, workers=1)
    for name, load in node.items():
        base: Load = one[name]
        result.add(f"{name} requests/s", load.requests_per_s, "/s", baseline=base.requests_per_s)
        add_p99(result, name, load, base)
        if load.errors:
            result.notes.append(f"{name}: {load.errors} errors")
    result.details = {
        "node": {name: vars(load) for name, load in node.items()},
        "one_process": {name: vars(load) for name, load in one.items()},
    }
    result.notes.append(f"node: uvicorn --workers {workers} on every core, wrk sharing them")
    return result
