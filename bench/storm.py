"""Scenario 5, reconnect storm: N viewers connected to one server process (uvicorn, as the image runs it, unless told
otherwise), which then goes away as in a deploy (SIGTERM, then a new process on the same port); an entry is accepted
meanwhile through a second node (daphne). The viewers reconnect with the page script's backoff
(``bench.storm_viewers``), naming the version they hold, and are caught up over the socket (or reload the page when
no catch-up frame comes). Connections accepted per second, and the time until every viewer holds the newest
version."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import (
    CLIENT_CPUS,
    HOST,
    ROOT,
    SERVER_CPUS,
    Result,
    app_server,
    free_port,
    percentile,
    pin,
    start_server,
    stop,
    stop_server,
)
from bench.feed import Client, Feeder
from bench.prepare import results_version

TARGET_ACCEPTED_PER_S = 500


class StormViewers:
    """The client process, pinned to the load's core; told the newest version on its standard input."""

    def __init__(self, url: str, viewers: int, max_seconds: float, backoff_scale: float) -> None:
        self.out = Path(tempfile.mkstemp(prefix="bench-storm-", suffix=".json")[1])
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "bench.storm_viewers", "--url", url, "--viewers", str(viewers), "--out",
             str(self.out), "--max-seconds", str(max_seconds), "--backoff-scale", str(backoff_scale)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        pin(self.process.pid, CLIENT_CPUS)

    def ready(self) -> tuple[int, int]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            raise RuntimeError(f"the viewers did not connect: {line!r}")
        _word, connected, failed = line.split()
        return int(connected), int(failed)

    def finish(self, newest: int, timeout: float) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{newest}\n")
        self.process.stdin.flush()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(self.process)
        report: dict[str, Any] = json.loads(self.out.read_text())
        self.out.unlink(missing_ok=True)
        return report


def accepted_rates(accepted: list[float], answering: float) -> tuple[float | None, int]:
    """Mean accepts per second from the new server answering to the last reconnection, and the best whole second."""
    if not accepted:
        return None, 0
    span = max(accepted) - answering
    per_second = Counter(int(at - answering) for at in accepted)
    return (len(accepted) / span if span > 0 else None), max(per_second.values())


def run(env: dict[str, str], feeder: Feeder, *, viewers: int, kind: str = "daphne", smoke: bool = False) -> Result:
    election = feeder.election
    # The smoke only checks that the scenario works: it waits a tenth of the page's backoff.
    backoff_scale = 0.1 if smoke else 1.0
    result = Result(f"storm-{viewers}", {"viewers": viewers, "server": f"{kind}, one process, restarted",
                                         "backoff": "random() * min(30 s, 2^attempt s) + 250 ms",
                                         "backoff_scale": backoff_scale})  # fmt: skip
    port = free_port()
    max_seconds = 120 + viewers / 20
    with app_server(env, cpus=CLIENT_CPUS) as entry_server:
        live = start_server(env, kind=kind, port=port, cpus=SERVER_CPUS)
        client: StormViewers | None = None
        try:
            with urllib.request.urlopen(f"{live.base}/results/{election.slug}/", timeout=30):  # noqa: S310 - local
                pass
            client = StormViewers(
                f"ws://{HOST}:{port}/ws/results/{election.slug}/", viewers, max_seconds, backoff_scale
            )
            connected, failed = client.ready()
            time.sleep(1.0)
            dropped = time.time()
            stop_server(live)
            stopped = time.time()
            # Entries go on through the other node while this one is down: the viewers come back behind.
            poster = Client(feeder, entry_server.port, seed=5)
            status = poster.post(election.pairs[0]).status
            poster.close()
            live = start_server(env, kind=kind, port=port, cpus=SERVER_CPUS)
            answering = time.time()
            newest = results_version(election.election_id)
            report = client.finish(newest, timeout=max_seconds + 30)
        finally:
            stop_server(live)
            if client is not None:
                stop(client.process)
    rows = report["viewers"]
    accepted = [float(r["accepted_at"]) for r in rows if r["accepted_at"] is not None]
    holding = [float(r["newest_at"]) for r in rows if r["newest_at"] is not None]
    mean_rate, best_second = accepted_rates(accepted, answering)
    everyone = len(holding) == len(rows) and bool(rows)
    result.add("viewers connected before", connected, "", target=str(viewers), met=failed == 0)
    result.add("viewers reconnected", len(accepted), "", target=str(connected), met=len(accepted) == connected)
    fast = mean_rate is not None and mean_rate >= TARGET_ACCEPTED_PER_S and len(accepted) == connected
    result.add("connections accepted/s", mean_rate, "/s", target=f">= {TARGET_ACCEPTED_PER_S}/s", met=fast)
    result.add("best second", best_second, "/s")
    result.add("server down", answering - dropped, "s")
    result.add("all reconnected after restart", max(accepted) - answering if accepted else None, "s")
    result.add("all hold newest after drop", max(holding) - dropped if everyone else None, "s", met=everyone)
    result.add("p50 hold newest after drop", _seconds_after(holding, dropped, 50), "s")
    result.add("caught up over the socket", sum(int(r.get("catch_ups", 0)) for r in rows), "")
    reloads = sum(int(r["refetches"]) for r in rows)
    result.add("page reloads", reloads, "", target="0", met=reloads == 0)
    result.add("page reloads failed", sum(int(r["refetch_failures"]) for r in rows), "")
    result.add("connects refused", sum(int(r["refused"]) for r in rows), "")
    result.details = {
        "entry_status_while_down": status,
        "newest_version": newest,
        "stop_seconds": stopped - dropped,
        "finished": report["finished"],
        "connect_failures": report.get("connect_failures", {}),
        "attempts_p99": percentile([float(r["attempts"]) for r in rows], 99),
        "versions_held": dict(Counter(str(r["version"]) for r in rows)),
    }
    if not report["finished"]:
        result.notes.append(f"not every viewer held version {newest} within {max_seconds:.0f} s")
    result.notes.append(
        "accepted/s is paced by the clients' backoff as much as by the server: the page script spreads reconnections "
        "over seconds on purpose; 'best second' is the most the server accepted in one second"
    )
    return result


def _seconds_after(times: list[float], origin: float, p: float) -> float | None:
    value = percentile(times, p)
    return None if value is None else value - origin
