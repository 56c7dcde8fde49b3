"""Fixtures of the chaos tests: a private PostgreSQL holding a prepared election that each test copies, a private
Redis per test, and app servers on them. Nothing here touches the machine's own PostgreSQL or Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chaos.clerks import Clerk
from chaos.instances import ROOT, PrivatePostgres, PrivateRedis, app_environment, private_postgres, private_redis

TEMPLATE_DATABASE = "chaos_template"
CLERKS = 50


@dataclass
class Prepared:
    """The private cluster and what ``chaos.prepare`` loaded into its template database."""

    postgres: PrivatePostgres
    slug: str
    election_id: int
    contests: list[dict[str, Any]]
    clerks: list[Clerk]
    session_key: str


@dataclass
class Stack:
    """One test's own database (a copy of the template) and Redis, and the environment of app processes on them."""

    prepared: Prepared
    redis: PrivateRedis
    database: str
    env: dict[str, str]

    @property
    def database_url(self) -> str:
        return self.prepared.postgres.url(self.database)


@pytest.fixture(scope="session")
def prepared() -> Iterator[Prepared]:
    with private_postgres() as postgres, private_redis() as redis:
        postgres.execute(f"CREATE DATABASE {TEMPLATE_DATABASE}")
        env = app_environment(database_url=postgres.url(TEMPLATE_DATABASE), redis_url=redis.url)
        run = subprocess.run(  # noqa: S603 - our own preparation script
            [sys.executable, "-m", "chaos.prepare", "--clerks", str(CLERKS)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        yield Prepared(
            postgres=postgres,
            slug=data["slug"],
            election_id=data["election_id"],
            contests=data["contests"],
            clerks=[Clerk(**c) for c in data["clerks"]],
            session_key=data["session_key"],
        )


@pytest.fixture
def stack(prepared: Prepared, tmp_path: Path) -> Iterator[Stack]:
    database = f"chaos_{uuid.uuid4().hex[:12]}"
    # FILE_COPY, not the default WAL_LOG: a WAL-logged copy of a sequence page survives crash recovery with its
    # prefetched values unlogged, so after an immediate stop the sequences would hand out ids already used.
    prepared.postgres.execute(f"CREATE DATABASE {database} TEMPLATE {TEMPLATE_DATABASE} STRATEGY FILE_COPY")
    with private_redis() as redis:
        env = app_environment(database_url=prepared.postgres.url(database), redis_url=redis.url)
        yield Stack(prepared=prepared, redis=redis, database=database, env=env)
