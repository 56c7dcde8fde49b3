"""Scenario 3, entry: tally sheets per second through the entry API (token, idempotency key, audit, recount after
commit) with 32 concurrent clients on PostgreSQL, against raw psycopg doing the same writes in one transaction per
sheet: supersede the current version, insert the sheet and its vote rows, append a hash-chained audit row. On one app
process it also measures what an accepted sheet costs the server, over at least ``BUDGET_SHEETS`` sheets: CPU time
of the server process and SQL statements sent (counted by ``bench.views.CountStatements``)."""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from bench.common import PRODUCTION_SERVER, Result, Server, app_server, cpu_seconds, percentile
from bench.feed import Client, Feeder
from bench.prepare import Pair, sheet_body

CLIENTS = 32
# The CPU and query budget of one accepted sheet is measured over at least this many sheets (not in the smoke).
BUDGET_SHEETS = 1000
CPU_BUDGET_MS = 4.0
STATEMENTS_BUDGET = 20
# A run that has not reached BUDGET_SHEETS by then stops anyway.
LONGEST_SECONDS = 180.0
AUDIT_CHAIN_LOCK_ID = 0x766F7465
COPIES = {
    "bench_sheet": "ballots_tallysheet",
    "bench_vote": "ballots_tallysheetvote",
    "bench_audit": "ballots_auditevent",
}


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set when the run is over: workers finish the request under way and stop.
    over: threading.Event = field(default_factory=threading.Event)

    def record(self, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1

    @property
    def accepted(self) -> int:
        return self.statuses[201] + self.statuses[200]

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Usage:
    """What a server process has used so far: CPU seconds and SQL statements sent."""

    cpu_seconds: float
    statements: int


def server_usage(server: Server) -> Usage:
    url = f"{server.base}/bench/statements"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - a local server started here
        statements = int(json.load(response)["statements"])
    return Usage(cpu_seconds(server.worker_pid()), statements)


def add_budget(result: Result, *, before: Usage, after: Usage, sheets: int, label: str = "") -> None:
    """The CPU and statements the server spent per accepted sheet between ``before`` and ``after``, against the
    budget; a budget measured over fewer than ``BUDGET_SHEETS`` sheets (the smoke) is shown but not judged."""
    enough = sheets >= BUDGET_SHEETS
    cpu_ms = (after.cpu_seconds - before.cpu_seconds) * 1000 / sheets if sheets else None
    statements = (after.statements - before.statements) / sheets if sheets else None
    result.add(f"app CPU / accepted sheet{label}", cpu_ms, "ms", target=f"<= {CPU_BUDGET_MS:g} ms",
               met=(cpu_ms is not None and cpu_ms <= CPU_BUDGET_MS) if enough else None)  # fmt: skip
    result.add(f"SQL statements / accepted sheet{label}", statements, "", target=f"<= {STATEMENTS_BUDGET}",
               met=(statements is not None and statements <= STATEMENTS_BUDGET) if enough else None)  # fmt: skip
    result.add(f"sheets in the budget{label}", sheets, "", target=f">= {BUDGET_SHEETS:,}", met=enough or None)


def drive(
    pairs: tuple[Pair, ...],
    seconds: float,
    worker: Callable[[int, list[Pair], float, Outcome], None],
    *,
    clients: int = CLIENTS,
    min_accepted: int = 0,
) -> Outcome:
    """Run ``clients`` workers, each on its own stations and contests, for ``seconds``, and on past them until
    ``min_accepted`` entries were accepted (at most ``LONGEST_SECONDS`` in all). A worker is given the deadline
    ``seconds`` away and may stop there, or at ``outcome.over``, set when the run is over."""
    outcome = Outcome()
    started = time.monotonic()
    threads = [
        threading.Thread(target=worker, args=(i, list(pairs[i::clients]), started + seconds, outcome), daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    while outcome.accepted < min_accepted and time.monotonic() < started + LONGEST_SECONDS:
        time.sleep(0.05)
    outcome.over.set()
    for thread in threads:
        thread.join(timeout=60)
    outcome.seconds = time.monotonic() - started
    return outcome


def through_api(feeder: Feeder, ports: list[int], seconds: float, *, min_accepted: int = 0) -> Outcome:
    """The clients spread evenly over the app processes listening on ``ports``."""

    def worker(index: int, pairs: list[Pair], _deadline: float, outcome: Outcome) -> None:
        client = Client(feeder, ports[index % len(ports)], seed=1000 + index)
        turn = 0
        while not outcome.over.is_set() and pairs:
            sent = client.post(pairs[turn % len(pairs)])
            outcome.record(sent.seconds, sent.status)
            turn += 1
        client.close()

    return drive(feeder.election.pairs, seconds, worker, min_accepted=min_accepted)


def prepare_copies(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for copy, table in COPIES.items():
            conn.execute(f"DROP TABLE IF EXISTS {copy}")
            conn.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")


def raw_sheet(conn: psycopg.Connection, rng: random.Random, pair: Pair, actor_id: int, key: str) -> None:
    body = sheet_body(rng, pair, correction=True)
    with conn.transaction():
        row = conn.execute(
            "SELECT coalesce(max(version), 0) FROM bench_sheet WHERE station_id = %s AND contest_id = %s",
            (pair.station_id, pair.contest_id),
        ).fetchone()
        version = int(row[0]) + 1 if row else 1
        conn.execute(
            "UPDATE bench_sheet SET status = 'superseded' WHERE station_id = %s AND contest_id = %s "
            "AND status IN ('accepted', 'quarantined')",
            (pair.station_id, pair.contest_id),
        )
        inserted = conn.execute(
            "INSERT INTO bench_sheet (version, ballots_cast, blank, invalid, undervotes, overvotes, status, "
            "entered_at, reason, quarantine_reason, quarantined_automatically, idempotency_key, contest_id, "
            "entered_by_id, station_id) "
            "VALUES (%s, %s, %s, %s, 0, 0, 'accepted', now(), %s, '', false, %s, %s, %s, %s) RETURNING id",
            (version, body["ballots_cast"], body["blank"], body["invalid"], body["reason"], key, pair.contest_id,
             actor_id, pair.station_id),
        ).fetchone()  # fmt: skip
        assert inserted is not None
        sheet_id = int(inserted[0])
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_vote (votes, candidate_id, sheet_id) VALUES (%s, %s, %s)",
                [(votes, int(candidate), sheet_id) for candidate, votes in body["votes"].items()],
            )
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_CHAIN_LOCK_ID,))
        last = conn.execute("SELECT hash FROM bench_audit ORDER BY id DESC LIMIT 1").fetchone()
        previous = str(last[0]) if last else "0" * 64
        after = json.dumps({**body, "version": version, "status": "accepted"}, sort_keys=True)
        digest = hashlib.sha256((previous + after + key).encode()).hexdigest()
        conn.execute(
            "INSERT INTO bench_audit (at, actor_name, client_address, action, object_type, object_id, object_repr, "
            "election_id, before, after, idempotency_key, prev_hash, hash, actor_id) VALUES (now(), 'official', "
            "'127.0.0.1', 'tally_sheet.submit', 'ballots.tallysheet', %s, %s, NULL, %s, %s, %s, %s, %s, %s)",
            (str(sheet_id), f"sheet {sheet_id}", json.dumps({"versions": {}}), after, key, previous, digest,
             actor_id),
        )  # fmt: skip


def through_psycopg(database_url: str, pairs: tuple[Pair, ...], actor_id: int, seconds: float) -> Outcome:
    prepare_copies(database_url)

    def worker(index: int, mine: list[Pair], _deadline: float, outcome: Outcome) -> None:
        rng = random.Random(index)  # noqa: S311 - made-up numbers
        with psycopg.connect(database_url, autocommit=True) as conn:
            turn = 0
            while not outcome.over.is_set() and mine:
                started = time.monotonic()
                try:
                    raw_sheet(conn, rng, mine[turn % len(mine)], actor_id, f"raw-{index}-{turn}")
                    status = 201
                except psycopg.Error:
                    status = 0
                outcome.record(time.monotonic() - started, status)
                turn += 1

    return drive(pairs, seconds, worker)


def run(env: dict[str, str], feeder: Feeder, *, seconds: float, smoke: bool = False) -> Result:
    from django.contrib.auth.models import User

    actor_id = User.objects.get(username="official").pk
    result = Result("entry", {"clients": CLIENTS, "seconds": seconds, "database": "PostgreSQL", "pinned": False,
                              "server": f"{PRODUCTION_SERVER}, one process, then two"})  # fmt: skip
    with app_server(env, cpus=None) as server:
        before = server_usage(server)
        api = through_api(feeder, [server.port], seconds, min_accepted=0 if smoke else BUDGET_SHEETS)
        after = server_usage(server)
    # As docker-compose.yml runs a node: two app processes (app1, app2), each client sticking to one.
    with app_server(env, cpus=None) as first, app_server(env, cpus=None) as second:
        pair = through_api(feeder, [first.port, second.port], seconds)
    raw = through_psycopg(env["DATABASE_URL"], feeder.election.pairs, actor_id, seconds)
    a_p50, a_p99 = percentile(api.latencies, 50), percentile(api.latencies, 99)
    b_p50, b_p99 = percentile(raw.latencies, 50), percentile(raw.latencies, 99)
    ratio = api.per_second / raw.per_second if raw.per_second else 0.0
    result.add("sheets/s", api.per_second, "/s", baseline=raw.per_second, target=">= 200/s, >= 30 % of baseline",
               met=api.per_second >= 200 and ratio >= 0.3)  # fmt: skip
    result.add("p50", a_p50 and a_p50 * 1000, "ms", baseline=b_p50 and b_p50 * 1000)
    result.add("p99", a_p99 and a_p99 * 1000, "ms", baseline=b_p99 and b_p99 * 1000, target="<= 300 ms",
               met=a_p99 is not None and a_p99 <= 0.3)  # fmt: skip
    pair_p99 = percentile(pair.latencies, 99)
    pair_ratio = pair.per_second / raw.per_second if raw.per_second else 0.0
    result.add("sheets/s, two processes", pair.per_second, "/s", baseline=raw.per_second,
               target=">= 200/s, >= 30 % of baseline", met=pair.per_second >= 200 and pair_ratio >= 0.3)  # fmt: skip
    result.add("p99, two processes", pair_p99 and pair_p99 * 1000, "ms", baseline=b_p99 and b_p99 * 1000,
               target="<= 300 ms", met=pair_p99 is not None and pair_p99 <= 0.3)  # fmt: skip
    add_budget(result, before=before, after=after, sheets=api.accepted)
    refused = sum(n for status, n in [*api.statuses.items(), *pair.statuses.items()] if status not in {200, 201})
    result.add("refused or failed", refused, "", baseline=sum(n for s, n in raw.statuses.items() if s != 201),
               target="0", met=refused == 0)  # fmt: skip
    result.details = {
        "api_statuses": {str(k): v for k, v in api.statuses.items()},
        "two_processes_statuses": {str(k): v for k, v in pair.statuses.items()},
        "raw_statuses": {str(k): v for k, v in raw.statuses.items()},
        "api_sheets": api.accepted,
        "raw_sheets": raw.accepted,
    }
    result.notes.append(
        "baseline: raw psycopg, one transaction per sheet (supersede, sheet, vote rows, chained audit row under the "
        "same advisory lock) on copies of the tables; the API also authenticates, checks idempotency and recounts"
    )
    return result
