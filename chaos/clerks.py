"""A counting centre's device as the chaos tests drive it: send an entry through the API and, on a lost connection,
a 5xx or a 429, send the very same request again with the same ``Idempotency-Key`` until it is answered."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class Outcome:
    """The final answer to one entry (``status`` 0: never answered before the deadline) and what it took."""

    key: str
    path: str
    body: dict[str, Any]
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    connection_errors: int = 0
    server_errors: int = 0

    @property
    def acknowledged(self) -> bool:
        return 200 <= self.status < 300


def post_json(
    url: str, body: dict[str, Any], *, headers: dict[str, str], timeout: float = 15
) -> tuple[int, dict[str, Any]]:
    """POST ``body``; the status and JSON answer (empty when it is not JSON). Raises OSError on a lost connection."""
    request = urllib.request.Request(  # noqa: S310 - local test servers
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {}
    return status, answer if isinstance(answer, dict) else {"body": answer}


def get_json(url: str, *, timeout: float = 15) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - local test servers
            return response.status, dict(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, dict(json.loads(raw))
        except ValueError:
            return error.code, {}


def send_entry(
    bases: Sequence[str], *, token: str, path: str, body: dict[str, Any], key: str, deadline: float
) -> Outcome:
    """Send one entry until a server answers it with anything but a retryable status, or ``deadline`` passes.

    Each attempt goes to the next of ``bases`` (a device behind a load balancer would see the same), with the same
    key and body, after a short growing pause.
    """
    outcome = Outcome(key=key, path=path, body=body)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    pause = 0.05
    while time.monotonic() < deadline:
        base = bases[outcome.attempts % len(bases)]
        outcome.attempts += 1
        try:
            status, answer = post_json(f"{base}/api/v1/entry/{path}", body, headers=headers)
        except OSError:
            outcome.connection_errors += 1
        else:
            if status not in RETRYABLE_STATUSES:
                outcome.status, outcome.answer = status, answer
                return outcome
            outcome.server_errors += 1
        time.sleep(pause * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not a secret
        pause = min(pause * 2, 1.0)
    return outcome


@dataclass
class Clerk:
    """One clerk's station and token, as ``chaos.prepare`` made them."""

    username: str
    token: str
    station_id: int
    registered: int


def ballot_bodies(clerk: Clerk, contest: dict[str, Any], count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` ballots for ``contest`` at the clerk's station: mostly marked, some blank or invalid."""
    bodies = []
    for _ in range(count):
        kind = rng.choices(["marked", "blank", "invalid"], weights=[8, 1, 1])[0]
        marks = rng.sample(contest["candidates"], rng.randint(1, contest["max_choices"])) if kind == "marked" else []
        bodies.append({"station_id": clerk.station_id, "contest_id": contest["id"], "kind": kind, "marks": marks})
    return bodies


def sheet_body(clerk: Clerk, contest: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A tally sheet whose numbers add up."""
    cast = rng.randint(clerk.registered // 3, clerk.registered // 2)
    blank, invalid = rng.randint(0, 5), rng.randint(0, 5)
    votes = dict.fromkeys(contest["candidates"], 0)
    for candidate in rng.choices(contest["candidates"], k=cast - blank - invalid):
        votes[candidate] += 1
    return {
        "station_id": clerk.station_id,
        "contest_id": contest["id"],
        "ballots_cast": cast,
        "blank": blank,
        "invalid": invalid,
        "votes": {str(k): v for k, v in votes.items()},
    }


class EntryLog:
    """Every outcome of every clerk, collected from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.outcomes: list[Outcome] = []

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def acknowledged(self) -> int:
        with self._lock:
            return sum(1 for o in self.outcomes if o.acknowledged)

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)
