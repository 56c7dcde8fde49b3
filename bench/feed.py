"""Real entries through the entry API: tally sheets POSTed with a bearer token and an idempotency key, a first entry
for each station and contest and corrections (with a reason) after that."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass

from bench.prepare import Election, Pair, sheet_body

PATH = "/api/v1/entry/tally-sheets"


@dataclass
class Sent:
    started: float
    seconds: float
    status: int
    answer: bytes = b""


class Feeder:
    """Knows which sheets were entered already, so a repeat goes in as a correction."""

    def __init__(self, election: Election, seed: int = 2026) -> None:
        self.election = election
        self.entered: set[Pair] = set()
        self.lock = threading.Lock()
        self.seed = seed

    def body(self, rng: random.Random, pair: Pair) -> bytes:
        with self.lock:
            correction = pair in self.entered
            self.entered.add(pair)
        return json.dumps(sheet_body(rng, pair, correction=correction)).encode()


class Client:
    """One keep-alive HTTP connection to a server on 127.0.0.1."""

    def __init__(self, feeder: Feeder, port: int, seed: int) -> None:
        self.feeder = feeder
        self.port = port
        self.rng = random.Random(seed)  # noqa: S311 - made-up numbers
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, pair: Pair) -> Sent:
        body = self.feeder.body(self.rng, pair)
        headers = {
            "Authorization": f"Bearer {self.feeder.election.token}",
            "Idempotency-Key": f"bench-{uuid.uuid4()}",
            "Content-Type": "application/json",
        }
        started = time.time()
        try:
            self.connection.request("POST", PATH, body=body, headers=headers)
            response = self.connection.getresponse()
            answer = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            status, answer = 0, b""
        return Sent(started, time.time() - started, status, answer)

    def close(self) -> None:
        self.connection.close()
