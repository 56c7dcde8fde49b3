"""Scenario 3b, entry in batches: tally sheets per second through ``POST /api/v1/entry/tally-sheets/batch`` on one
app process (PostgreSQL), as a results file or a device back online sends them: two clients, each POSTing batches
of ``BATCH_SIZE`` sheets, each sheet with its own idempotency key. Against the same raw psycopg baseline as scenario
3 (one transaction per sheet), with the app server's CPU and SQL statements per accepted sheet, and at the end the
served tallies checked against a recount (``manage.py verify_tallies``)."""

from __future__ import annotations

import http.client
import json
import random
import time
import uuid
from typing import Any

from bench.commit import verify_tallies
from bench.common import PRODUCTION_SERVER, Result, app_server, percentile
from bench.entry import BUDGET_SHEETS, Outcome, add_budget, drive, server_usage, through_psycopg
from bench.feed import Feeder
from bench.prepare import Pair

PATH = "/api/v1/entry/tally-sheets/batch"
# Batches lock all their stations for as long as they take: past two clients sharing the demo's stations, they
# mostly wait for each other (measured here: 1 client 230 sheets/s, 2: 351, 4: 205, 8: 170).
CLIENTS = 2
BATCH_SIZE = 200
TARGET_PER_SECOND = 1000


def post_batch(connection: http.client.HTTPConnection, token: str, items: list[dict[str, Any]]) -> tuple[int, Any]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": f"bench-batch-{uuid.uuid4()}",
        "Content-Type": "application/json",
    }
    connection.request("POST", PATH, body=json.dumps({"items": items}).encode(), headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


def through_batches(feeder: Feeder, port: int, seconds: float, *, batch_size: int, min_accepted: int) -> Outcome:
    """``CLIENTS`` clients POSTing batches; ``Outcome`` counts sheets (each sheet's own status), its latencies are
    those of whole batches."""

    def worker(index: int, pairs: list[Pair], _deadline: float, outcome: Outcome) -> None:
        rng = random.Random(3000 + index)  # noqa: S311 - made-up numbers
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        turn = 0
        while not outcome.over.is_set() and pairs:
            chosen = [pairs[(turn + i) % len(pairs)] for i in range(batch_size)]
            turn += batch_size
            items = [{**json.loads(feeder.body(rng, pair)), "idempotency_key": f"bench-{uuid.uuid4()}"}
                     for pair in chosen]  # fmt: skip
            started = time.monotonic()
            try:
                status, body = post_batch(connection, feeder.election.token, items)
            except (OSError, http.client.HTTPException, ValueError):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, body = 0, None
            seconds = time.monotonic() - started
            with outcome.lock:
                outcome.latencies.append(seconds)
                if status != 200 or not isinstance(body, dict):
                    outcome.statuses[status] += len(items)
                    continue
                for answer in body["outcomes"]:
                    outcome.statuses[int(answer["status"])] += 1
        connection.close()

    return drive(by_client_stations(feeder.election.pairs), seconds, worker, clients=CLIENTS, min_accepted=min_accepted)


def by_client_stations(pairs: tuple[Pair, ...]) -> tuple[Pair, ...]:
    """``pairs`` reordered so that ``drive``'s share of each client (every ``CLIENTS``-th pair) holds whole stations:
    two clients send the files of two different sets of stations, as two counties would."""
    shares: list[list[Pair]] = [[] for _ in range(CLIENTS)]
    stations = sorted({pair.station_id for pair in pairs})
    client_of = {station: index % CLIENTS for index, station in enumerate(stations)}
    for pair in pairs:
        shares[client_of[pair.station_id]].append(pair)
    longest = max(len(share) for share in shares)
    # Shares of unequal length are padded by going round again, so that every slot has a pair.
    return tuple(shares[c][i % len(shares[c])] for i in range(longest) for c in range(CLIENTS) if shares[c])


def run(env: dict[str, str], feeder: Feeder, *, seconds: float, smoke: bool = False) -> Result:
    from django.contrib.auth.models import User

    batch_size = 20 if smoke else BATCH_SIZE
    actor_id = User.objects.get(username="official").pk
    server_kind = f"{PRODUCTION_SERVER}, one process"
    result = Result("entry-batch", {"clients": CLIENTS, "batch_size": batch_size, "seconds": seconds,
                                    "database": "PostgreSQL", "server": server_kind})  # fmt: skip
    with app_server(env, cpus=None) as server:
        before = server_usage(server)
        batches = through_batches(feeder, server.port, seconds, batch_size=batch_size,
                                  min_accepted=0 if smoke else BUDGET_SHEETS)  # fmt: skip
        after = server_usage(server)
    # The recount runs after commit; give it a moment to catch up before comparing.
    equal, verdict = False, ""
    for _attempt in range(10):
        equal, verdict = verify_tallies(feeder.election.slug)
        if equal:
            break
        time.sleep(1.0)
    raw = through_psycopg(env["DATABASE_URL"], feeder.election.pairs, actor_id, seconds)
    ratio = batches.per_second / raw.per_second if raw.per_second else 0.0
    result.add("sheets/s", batches.per_second, "/s", baseline=raw.per_second,
               target=f">= {TARGET_PER_SECOND:,}/s", met=batches.per_second >= TARGET_PER_SECOND)  # fmt: skip
    p50, p99 = percentile(batches.latencies, 50), percentile(batches.latencies, 99)
    result.add("batch p50", p50 and p50 * 1000, "ms")
    result.add("batch p99", p99 and p99 * 1000, "ms")
    add_budget(result, before=before, after=after, sheets=batches.accepted)
    refused = sum(n for status, n in batches.statuses.items() if status not in {200, 201})
    result.add("refused or failed", refused, "", baseline=sum(n for s, n in raw.statuses.items() if s != 201),
               target="0", met=refused == 0)  # fmt: skip
    result.add("tallies equal a recount", 1.0 if equal else 0.0, "", target="1", met=equal)
    result.details = {
        "sheet_statuses": {str(k): v for k, v in batches.statuses.items()},
        "raw_statuses": {str(k): v for k, v in raw.statuses.items()},
        "sheets": batches.accepted,
        "batches": len(batches.latencies),
        "ratio_to_raw": ratio,
        "verify_tallies": verdict.strip(),
    }
    result.notes.append(
        "baseline: raw psycopg, one transaction per sheet, as in scenario 3; batch latencies are per request of "
        f"{batch_size} sheets"
    )
    return result
