"""What must hold after a failure, read straight from the private database (plain SQL, no ORM in the test process)
and through the project's own commands."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg

from chaos.clerks import Outcome, get_json
from chaos.instances import ROOT, manage

# Which table holds the row an entry path writes, and the audit action it appends.
WRITES = {
    "ballots": ("ballots_ballot", "ballot.record"),
    "tally-sheets": ("ballots_tallysheet", "tally_sheet.submit"),
    "turnout": ("ballots_turnoutreport", "turnout.report"),
}


def _rows(database_url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(query.encode(), params).fetchall()


def find_losses(database_url: str, outcomes: Sequence[Outcome]) -> list[str]:
    """Every way the database breaks exactly-once for ``outcomes``; empty when it holds.

    Each acknowledged entry must be in its table once, under its key, with one audit event; an entry that was
    never acknowledged may be there at most once. Nothing may be half-written: a marked ballot without its marks,
    a tally sheet without a vote row per candidate, or a claimed key without its stored answer.
    """
    problems: list[str] = []
    for path, (table, action) in WRITES.items():
        sent = [o for o in outcomes if o.path == path]
        if not sent:
            continue
        stored = Counter(key for (key,) in _rows(database_url, f"SELECT idempotency_key FROM {table}"))  # noqa: S608
        audit_query = "SELECT idempotency_key FROM ballots_auditevent WHERE action = %s"
        audited = Counter(key for (key,) in _rows(database_url, audit_query, action))
        for outcome in sent:
            expected = {1} if outcome.acknowledged else {0, 1}
            if stored[outcome.key] not in expected:
                problems.append(f"{path} {outcome.key}: {stored[outcome.key]} row(s), status {outcome.status}")
            if audited[outcome.key] != stored[outcome.key]:
                problems.append(f"{path} {outcome.key}: {audited[outcome.key]} audit event(s)")
        keys = {o.key for o in sent}
        strays = sum(count for key, count in stored.items() if key not in keys)
        if strays:
            problems.append(f"{table}: {strays} row(s) under keys nobody sent")
    half_written = {
        "marked ballots without marks": """SELECT count(*) FROM ballots_ballot b WHERE b.kind = 'marked'
            AND NOT EXISTS (SELECT 1 FROM ballots_ballotmark m WHERE m.ballot_id = b.id)""",
        "tally sheets without a vote row per candidate": """SELECT count(*) FROM ballots_tallysheet s
            WHERE (SELECT count(*) FROM ballots_tallysheetvote v WHERE v.sheet_id = s.id)
               <> (SELECT count(*) FROM elections_candidate c WHERE c.contest_id = s.contest_id)""",
        "keys claimed without a stored answer": """SELECT count(*) FROM ballots_idempotencyrecord
            WHERE created IS NULL""",
    }
    for what, query in half_written.items():
        ((count,),) = _rows(database_url, query)
        if count:
            problems.append(f"{count} {what}")
    return problems


def marks_of(database_url: str, ballot_ids: Sequence[int]) -> Mapping[int, list[int]]:
    """The candidates marked on each ballot, as stored."""
    marks: dict[int, list[int]] = {ballot: [] for ballot in ballot_ids}
    query = "SELECT ballot_id, candidate_id FROM ballots_ballotmark WHERE ballot_id = ANY(%s)"
    for ballot, candidate in _rows(database_url, query, list(ballot_ids)):
        marks[ballot].append(candidate)
    return {ballot: sorted(found) for ballot, found in marks.items()}


def wait_until_tallies_verify(env: Mapping[str, str], *, base: str, slug: str, timeout: float) -> str:
    """Read the public snapshot (which repairs a stale one) until ``verify_tallies`` finds it equal to a recount;
    return the command's output. Raises AssertionError with the last output when ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    output = ""
    while True:
        status, _snapshot = get_json(f"{base}/api/v1/results/elections/{slug}")
        run = manage(env, "verify_tallies", "--election", slug)
        output = run.stdout + run.stderr
        if status == 200 and run.returncode == 0 and "equals a recount" in output:
            return output
        if time.monotonic() > deadline:
            raise AssertionError(f"tallies did not converge in {timeout:.0f} s (API status {status}): {output}")
        time.sleep(0.5)


def recount(env: Mapping[str, str], slug: str) -> dict[str, Any]:
    """A recount of ``slug`` from the database, made by a separate process (``chaos.recount``)."""
    run = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-m", "chaos.recount", slug],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout))


def verify_audit(env: Mapping[str, str]) -> str:
    run = manage(env, "verify_audit")
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout
