"""Scenario 1 in the embedded mode: one daphne process on SQLite with the in-memory channel layer and local-memory
cache, serving the viewers and taking the entries itself (nothing else can tell its viewers). The database is a
SQLite file of the benchmark's own in a temporary folder, so the project's own ``votetracker.sqlite3`` is never
touched; pointing ``DATABASE_URL`` at it is the one difference from a bare ``make run``.

    python -m bench.embedded --out FILE   # (in the embedded environment) migrate, seed, write the election as JSON
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import fanout
from bench.common import ROOT, Result
from bench.feed import Feeder
from bench.prepare import Election, Pair

MODE = "embedded (one daphne, as `make run`: SQLite, in-memory channel layer, local-memory cache)"


def embedded_environment(env: dict[str, str], folder: Path) -> dict[str, str]:
    """The server environment less Redis (so: in-memory channel layer and cache), on a SQLite file in ``folder``."""
    embedded = {key: value for key, value in env.items() if key != "REDIS_URL"}
    embedded["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    return embedded


def seed_in_subprocess(env: dict[str, str]) -> Election:
    """Seed the SQLite database from a process of its own: this one's Django is set up on PostgreSQL."""
    with tempfile.NamedTemporaryFile(prefix="bench-embedded-", suffix=".json") as out:
        subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "bench.embedded", "--out", out.name], cwd=ROOT, env=env, check=True, timeout=300
        )
        raw = json.loads(Path(out.name).read_text())
    pairs = tuple(Pair(p["station_id"], p["contest_id"], p["registered"], tuple(p["candidates"])) for p in raw["pairs"])
    return Election(raw["slug"], raw["election_id"], raw["token"], pairs)


def run(env: dict[str, str], *, viewers: int, updates: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-embedded-") as folder:
        embedded = embedded_environment(env, Path(folder))
        feeder = Feeder(seed_in_subprocess(embedded))
        result = fanout.run(embedded, feeder, viewers=viewers, updates=updates, single=True,
                            name=f"fanout-embedded-{viewers}", mode=MODE, kind="daphne")  # fmt: skip
    result.notes.append("embedded: the entries go to the viewers' own daphne process, which also recounts")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    import django

    django.setup()
    from bench.prepare import seed

    election = seed()
    Path(args.out).write_text(json.dumps(dataclasses.asdict(election)))


if __name__ == "__main__":
    main()
