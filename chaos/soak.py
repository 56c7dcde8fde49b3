"""Soak: a simulated election night of ``SOAK_MINUTES`` (default 30) on private PostgreSQL and Redis, two app nodes,
``manage.py simulate`` feeding tally sheets and turnout through the entry API of one, and ``SOAK_VIEWERS`` (default
1,000) live viewers on the other. Every 30 s it samples each node's memory, open connections and viewers; at the end
the served tallies must equal a recount and the audit chain must verify. Writes bench/results/soak.json.

    make soak                                   # 30 minutes, 1,000 viewers
    SOAK_MINUTES=2 SOAK_VIEWERS=200 make soak   # a short run
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR, machine, raise_file_limit, rss_kib
from chaos.checks import verify_audit, wait_until_tallies_verify
from chaos.instances import ROOT, AppServer, app_environment, private_postgres, private_redis

SAMPLE_SECONDS = 30
VIEWERS_METRIC = re.compile(r"^votetracker_websocket_viewers(?:\{[^}]*\})? ([0-9.e+]+)$", re.MULTILINE)


def established_connections(port: int) -> int:
    """TCP connections in state ESTABLISHED whose local end is ``port`` (from /proc/net/tcp and tcp6)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def viewers_gauge(base: str) -> float | None:
    """The node's own count of connected viewers, from /metrics."""
    try:
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:  # noqa: S310 - a local node
            text = response.read().decode()
    except OSError:
        return None
    return sum(float(value) for value in VIEWERS_METRIC.findall(text))


def sample(nodes: dict[str, AppServer], started: float) -> dict[str, Any]:
    return {
        "at_seconds": round(time.monotonic() - started, 1),
        "nodes": {
            name: {
                "rss_kib": rss_kib(node.pid),
                "established_connections": established_connections(node.port),
                "open_files": open_files(node.pid),
                "viewers": viewers_gauge(node.base),
            }
            for name, node in nodes.items()
        },
    }


def run(*, minutes: float, viewers: int, rate: float, out: Path) -> dict[str, Any]:
    raise_file_limit()
    seconds = minutes * 60
    with private_postgres() as postgres, private_redis() as redis, tempfile.TemporaryDirectory() as scratch:
        postgres.execute("CREATE DATABASE soak")
        env = app_environment(database_url=postgres.url("soak"), redis_url=redis.url)
        # The nodes recount after their own commits: no results worker runs beside them here.
        env["RESULTS_WORKER"] = "inline"
        prepared = subprocess.run(
            [sys.executable, "-m", "chaos.prepare", "--clerks", "1"], cwd=ROOT, env=env, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        slug = json.loads(prepared.stdout)["slug"]
        nodes = {"viewers": AppServer(env, log=Path(scratch) / "viewers.log"), "entry": AppServer(env)}
        for node in nodes.values():
            node.start()
        try:
            report_file = Path(scratch) / "viewers.json"
            watcher = subprocess.Popen(  # noqa: S603 - the benchmark's viewers
                [sys.executable, "-m", "bench.viewers", "--url",
                 f"ws://127.0.0.1:{nodes['viewers'].port}/ws/results/{slug}/", "--viewers", str(viewers),
                 "--max-seconds", str(seconds + 600), "--out", str(report_file)],
                cwd=ROOT, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert watcher.stdout is not None
            ready = watcher.stdout.readline().split()
            print(f"viewers ready: {ready[1:]}", flush=True)
            started = time.monotonic()
            feeder = subprocess.Popen(  # noqa: S603 - the project's own simulator
                [sys.executable, "manage.py", "simulate", "--election", slug, "--rate", str(rate), "--duration",
                 str(seconds), "--seed", "2026", "--url", nodes["entry"].base],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            samples = [sample(nodes, started)]
            while feeder.poll() is None:
                time.sleep(min(SAMPLE_SECONDS, max(0.1, seconds + 60 - (time.monotonic() - started))))
                samples.append(sample(nodes, started))
                print(json.dumps(samples[-1]), flush=True)
            fed_out, fed_err = feeder.communicate()
            verified = wait_until_tallies_verify(env, base=nodes["entry"].base, slug=slug, timeout=60)
            audit = verify_audit(env)
            time.sleep(2)  # Let the last broadcast reach the viewers before they stop recording.
            watcher.send_signal(signal.SIGUSR1)
            watcher.wait(timeout=120)
            seen = json.loads(report_file.read_text())
        finally:
            for node in nodes.values():
                node.stop()
    entered = re.search(r"Entered (\d+) tally sheets \((\d+) refused\)", fed_out)
    rss = {name: [s["nodes"][name]["rss_kib"] for s in samples] for name in nodes}
    versions = [int(v) for v in seen["versions"]]
    result = {
        "name": "soak",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "parameters": {"minutes": minutes, "viewers": viewers, "rate_per_second": rate, "nodes": list(nodes)},
        "figures": {
            "sheets_entered": int(entered.group(1)) if entered else None,
            "sheets_refused": int(entered.group(2)) if entered else None,
            "viewers_connected": seen["connected"],
            "viewers_failed": seen["failed"],
            "viewers_closed_early": seen["closed_early"],
            "updates_lost_per_viewer": seen["lost"] / max(1, seen["connected"]),
            "versions_broadcast": len(versions),
            "rss_kib_first_last_max": {name: [v[0], v[-1], max(v)] for name, v in rss.items()},
            "tallies_equal_recount": "equals a recount" in verified,
            "audit_chain_intact": "chain intact" in audit,
        },
        "samples": samples,
        "simulate_errors": fed_err.strip().splitlines()[-20:],
    }
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES") or 30))
    parser.add_argument("--viewers", type=int, default=int(os.environ.get("SOAK_VIEWERS") or 1000))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("SOAK_RATE") or 2), help="sheets/s")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "soak.json")
    args = parser.parse_args()
    result = run(minutes=args.minutes, viewers=args.viewers, rate=args.rate, out=args.out)
    print(json.dumps(result["figures"], indent=2))
    figures = result["figures"]
    if not (figures["tallies_equal_recount"] and figures["audit_chain_intact"]) or figures["viewers_failed"]:
        sys.exit("soak failed: see " + str(args.out))


if __name__ == "__main__":
    main()
