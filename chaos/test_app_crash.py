"""An app process dies (SIGKILL) while 50 clerks enter ballots and tally sheets: nothing acknowledged is lost or
doubled, nothing is half-written, and the served tallies and the audit chain still verify."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from chaos.checks import find_losses, marks_of, verify_audit, wait_until_tallies_verify
from chaos.clerks import Clerk, EntryLog, post_json, send_entry
from chaos.clerks import ballot_bodies as plan_ballots
from chaos.clerks import sheet_body as plan_sheet
from chaos.conftest import Stack
from chaos.instances import app_server

BALLOTS_PER_CLERK = 6
RUN_SECONDS = 150


def enter_as(clerk: Clerk, bases: list[str], stack: Stack, log: EntryLog, deadline: float, seed: int) -> None:
    """One clerk's evening: a few ballots for the first contest, then the tally sheet of the second."""
    rng = random.Random(seed)  # noqa: S311 - made-up votes
    mayor, council = stack.prepared.contests[:2]
    entries = [("ballots", body) for body in plan_ballots(clerk, mayor, BALLOTS_PER_CLERK, rng)]
    entries.append(("tally-sheets", plan_sheet(clerk, council, rng)))
    for number, (path, body) in enumerate(entries):
        key = f"{clerk.username}:{path}:{number}"
        log.add(send_entry(bases, token=clerk.token, path=path, body=body, key=key, deadline=deadline))


def test_killed_app_process_loses_and_doubles_nothing(stack: Stack, tmp_path: Path) -> None:
    with (
        app_server(stack.env, log=tmp_path / "a.log") as victim,
        app_server(stack.env, log=tmp_path / "b.log") as survivor,
    ):
        log = EntryLog()
        deadline = time.monotonic() + RUN_SECONDS
        clerks = stack.prepared.clerks
        threads = [
            threading.Thread(
                target=enter_as,
                # Half the clerks start on the process that dies, half on the other; retries alternate.
                args=(clerk, [victim.base, survivor.base][:: 1 if i % 2 else -1], stack, log, deadline, i),
            )
            for i, clerk in enumerate(clerks)
        ]
        for thread in threads:
            thread.start()
        total = len(clerks) * (BALLOTS_PER_CLERK + 1)
        while log.acknowledged() < total // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        acknowledged_before_kill = log.acknowledged()
        victim.kill()
        time.sleep(1.0)
        victim.start()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "clerks still entering at the deadline"

        outcomes = log.snapshot()
        assert len(outcomes) == total
        assert total // 3 <= acknowledged_before_kill < total, "the kill did not land mid-run"
        assert sum(o.connection_errors + o.server_errors for o in outcomes) > 0, "no request was cut by the kill"
        unanswered = [(o.key, o.status, o.answer) for o in outcomes if o.status not in {201}]
        assert unanswered == [], "every entry is accepted once retried with its key"

        assert find_losses(stack.database_url, outcomes) == []
        ballots = [o for o in outcomes if o.path == "ballots"]
        stored_marks = marks_of(stack.database_url, [o.answer["ballot_id"] for o in ballots])
        assert {o.answer["ballot_id"]: sorted(o.body["marks"]) for o in ballots} == stored_marks

        # A replay after the crash answers what the first request was answered, and writes nothing.
        replayed = ballots[0]
        clerk = next(c for c in clerks if c.station_id == replayed.body["station_id"])
        status, answer = post_json(
            f"{victim.base}/api/v1/entry/ballots",
            replayed.body,
            headers={"Authorization": f"Bearer {clerk.token}", "Idempotency-Key": replayed.key},
        )
        assert (status, answer) == (201, replayed.answer)
        assert find_losses(stack.database_url, outcomes) == []

        wait_until_tallies_verify(stack.env, base=victim.base, slug=stack.prepared.slug, timeout=20)
        assert "chain intact" in verify_audit(stack.env)
