"""Scenario 4, commit to screen under load: the entry load of scenario 3 (32 clients POSTing tally sheets through
the API of one app process, PostgreSQL) while N viewers watch on a second one (both uvicorn, as in production; Redis
pub/sub between them). For every accepted sheet: from its commit to each viewer's receipt of the first broadcast
that holds it; at the end the served tallies must equal a recount (``manage.py verify_tallies``)."""

from __future__ import annotations

import bisect
import io
import json
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from bench.common import HOST, PRODUCTION_SERVER, SERVER_CPUS, Result, app_server, percentile
from bench.entry import Outcome, drive
from bench.feed import Client, Feeder
from bench.live import Viewers, forced_reloads, ms, wait_until_idle, wait_until_quiet, window_from
from bench.prepare import Pair, results_version

SETTLE_SECONDS = 3.0
TARGET_P95_SECONDS = 2.0
DRAIN_SECONDS = 60.0


@dataclass(frozen=True)
class Answer:
    done: float
    status: int
    sheet_id: int | None


def enter(feeder: Feeder, port: int, seconds: float) -> tuple[Outcome, list[Answer]]:
    """Scenario 3's load, keeping when each sheet was answered and which sheet it made."""
    answers: list[Answer] = []
    lock = threading.Lock()

    def worker(index: int, pairs: list[Pair], deadline: float, outcome: Outcome) -> None:
        client = Client(feeder, port, seed=2000 + index)
        turn = 0
        while time.monotonic() < deadline and pairs:
            sent = client.post(pairs[turn % len(pairs)])
            outcome.record(sent.seconds, sent.status)
            sheet_id = None
            if sent.status in {200, 201}:
                sheet_id = int(json.loads(sent.answer)["sheet_id"])
            with lock:
                answers.append(Answer(sent.started + sent.seconds, sent.status, sheet_id))
            turn += 1
        client.close()

    return drive(feeder.election.pairs, seconds, worker), answers


def commit_times(sheet_ids: list[int]) -> dict[int, float]:
    """When each sheet was written: ``entered_at`` is set inside the entry's transaction, so at or before its
    commit, and the latency measured from it is never shorter than the real one."""
    from ballots.models import TallySheet

    rows = TallySheet.objects.filter(pk__in=sheet_ids).values_list("pk", "entered_at")
    return {int(pk): entered_at.timestamp() for pk, entered_at in rows}


def verify_tallies(slug: str) -> tuple[bool, str]:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    try:
        call_command("verify_tallies", election=slug, stdout=out)
    except CommandError as error:
        return False, f"{out.getvalue()}{error}"
    return "equals a recount" in out.getvalue(), out.getvalue()


def screen_latencies(
    report: dict[str, Any], answers: list[Answer], committed: dict[int, float]
) -> tuple[list[float], list[float], list[float], int]:
    """Per accepted sheet and viewer: receipt of the first broadcast stamped after the sheet was answered, minus
    the sheet's commit (an upper bound) and minus its answer; receipt of the first broadcast stamped after the sheet
    was written, minus that (a lower bound: that broadcast may have been counted just before the commit); and how
    many sheets no broadcast covered."""
    newest_hello = int(report["newest_hello"])
    stamped = sorted(
        (float(seen["stamped"]), int(v)) for v, seen in report["versions"].items() if int(v) > newest_hello
    )
    stamps = [at for at, _v in stamped]
    from_commit: list[float] = []
    from_answer: list[float] = []
    lower: list[float] = []
    uncovered = 0
    for answer in answers:
        if answer.sheet_id is None or answer.sheet_id not in committed:
            continue
        index = bisect.bisect_left(stamps, answer.done)
        if index == len(stamps):
            uncovered += 1
            continue
        receipts = report["versions"][str(stamped[index][1])]["receipts"]
        from_commit.extend(at - committed[answer.sheet_id] for at in receipts)
        from_answer.extend(at - answer.done for at in receipts)
        earliest = bisect.bisect_left(stamps, committed[answer.sheet_id])
        first_receipts = report["versions"][str(stamped[earliest][1])]["receipts"]
        lower.extend(at - committed[answer.sheet_id] for at in first_receipts)
    return from_commit, from_answer, lower, uncovered


def run(env: dict[str, str], feeder: Feeder, *, viewers: int, seconds: float) -> Result:
    election = feeder.election
    servers = f"{PRODUCTION_SERVER} (viewers, pinned) + {PRODUCTION_SERVER} (entry, unpinned)"
    result = Result(
        f"commit-{viewers}", {"viewers": viewers, "entry_seconds": seconds, "clients": 32, "servers": servers}
    )
    with app_server(env, cpus=SERVER_CPUS) as live, app_server(env, cpus=None) as entry_server:
        with urllib.request.urlopen(f"{live.base}/results/{election.slug}/", timeout=30):  # noqa: S310 - local
            pass
        client = Viewers(f"ws://{HOST}:{live.port}/ws/results/{election.slug}/", viewers, 300 + seconds + viewers / 50)
        try:
            client.ready()
            time.sleep(1.0)
            # From the database: the viewers' server may be too busy to answer in time.
            first = results_version(election.election_id)
            started = time.monotonic()
            outcome, answers = enter(feeder, entry_server.port, seconds)
            last = wait_until_quiet(lambda: results_version(election.election_id), quiet=SETTLE_SECONDS)
            # Frames still queued in the viewers' server arrive late, not never: give them a bounded time.
            drained = wait_until_idle(live.worker_pid(), limit=DRAIN_SECONDS)
            elapsed = time.monotonic() - started
        finally:
            report = client.finish()
    equal, verdict = verify_tallies(election.slug)
    committed = commit_times([a.sheet_id for a in answers if a.sheet_id is not None])
    from_commit, from_answer, lower, uncovered = screen_latencies(report, answers, committed)
    window = window_from(report, rss=(0, 0), cpu=0.0, seconds=elapsed, updates=last - first,
                         expected=set(range(first + 1, last + 1)))  # fmt: skip
    figures = window.figures()
    for unmeasured in ("rss_per_connection_kib", "server_cpu_percent", "server_cpu_us_per_delivery"):
        figures.pop(unmeasured)  # Scenario 1 measures these; here they would read as zero.
    p95 = percentile(from_commit, 95)
    result.add("viewers connected", figures["viewers"], "", met=figures["failed_to_connect"] == 0)
    result.add("sheets accepted/s", outcome.per_second, "/s")
    result.add("p50 commit->screen", ms(percentile(from_commit, 50)), "ms")
    result.add("p95 commit->screen", ms(p95), "ms", target="<= 2000 ms",
               met=p95 is not None and p95 <= TARGET_P95_SECONDS and uncovered == 0)  # fmt: skip
    result.add("p99 commit->screen", ms(percentile(from_commit, 99)), "ms")
    result.add("p95 answer->screen", ms(percentile(from_answer, 95)), "ms")
    result.add("p95 commit->screen, lower bound", ms(percentile(lower, 95)), "ms")
    result.add("broadcasts", len(report["versions"]), "")
    result.add("messages lost", figures["lost"], "", target="0", met=figures["lost"] == 0)
    reloads, previous = forced_reloads(report)
    result.add("page reloads forced", reloads, "", target="0", met=reloads == 0)
    refused = sum(n for status, n in outcome.statuses.items() if status not in {200, 201})
    result.add("entries refused or failed", refused, "", target="0", met=refused == 0)
    result.add("tallies equal a recount", 1.0 if equal else 0.0, "", target="1", met=equal)
    result.details = {
        "viewers": figures,
        "entry_statuses": {str(k): v for k, v in outcome.statuses.items()},
        "entry_p99_ms": ms(percentile(outcome.latencies, 99)),
        "versions": [first, last],
        "drain_seconds": drained,
        "frame_previous": previous,
        "sheets_without_a_broadcast": uncovered,
        "verify_tallies": verdict.strip(),
    }
    if uncovered:
        result.notes.append(f"{uncovered} accepted sheets were never covered by a broadcast the viewers received")
    if reloads:
        result.notes.append(
            "frames whose 'previous' is not the version delivered before them make every viewer's page reload "
            "(details: frame_previous)"
        )
    result.notes.append(
        "messages lost: versions committed but neither delivered nor skipped by coalescing (a version superseded "
        "before its broadcast counts as lost for every viewer), counted once the viewers' server went idle or "
        f"{DRAIN_SECONDS:.0f} s after the last recount"
    )
    result.notes.append(
        "commit->screen: from the sheet's entered_at (written in its transaction, so at or before the commit) to each "
        "viewer's receipt of the first broadcast stamped after the sheet's 201 answer (conservative on both ends); "
        "the lower bound takes the first broadcast stamped after entered_at instead"
    )
    return result
