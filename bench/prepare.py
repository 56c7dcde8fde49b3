"""The benchmark's own database and Redis: created afresh, migrated, loaded with the demo election, opened and
published, with an API token for the entries. Everything runs against 127.0.0.1 only."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

BENCH_SECRET_KEY = "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 - local benchmark servers only


def environment(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment of every server process and of this one: server mode on the benchmark's database."""
    for url in (database_url, redis_url):
        if urlsplit(url).hostname not in {"127.0.0.1", "localhost"}:
            raise SystemExit(f"benchmarks run against 127.0.0.1 only, not {url}")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        "DEBUG": "false",
    }


def recreate_database(database_url: str) -> None:
    """Drop and create the benchmark database, so that every run starts from the same data."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


@dataclass(frozen=True)
class Pair:
    """A station and a contest entered there, with the candidates a sheet must list."""

    station_id: int
    contest_id: int
    registered: int
    candidates: tuple[int, ...]


@dataclass(frozen=True)
class Election:
    slug: str
    election_id: int
    token: str
    pairs: tuple[Pair, ...]


def seed() -> Election:
    """Migrate, load the demo, open it, publish its results and issue a token to the demo official."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from elections.demo import DEMO_ELECTION_SLUG, seed_demo
    from elections.models import Contest, PollingStation
    from elections.models import Election as ElectionModel
    from elections.selectors import list_contest_station_ids
    from elections.services import open_election, publish_results
    from results.services import refresh_tallies
    from trust.tokens import issue_api_token

    call_command("migrate", verbosity=0, interactive=False)
    seed_demo(only_if_empty=True)
    official = User.objects.get(username="official")
    election = ElectionModel.objects.get(slug=DEMO_ELECTION_SLUG)
    if election.status == ElectionModel.Status.DRAFT:
        election = open_election(election=election, actor=official)
    if election.results_visibility == ElectionModel.Visibility.HIDDEN:
        election = publish_results(election=election, actor=official)
    refresh_tallies(election_id=election.pk)
    _token, secret = issue_api_token(user=official, name="benchmark", issued_by=official)
    stations = list(PollingStation.objects.filter(election=election))
    contests = list(Contest.objects.filter(election=election).prefetch_related("candidates"))
    stations_of = list_contest_station_ids(election_id=election.pk)
    pairs: list[Pair] = []
    for contest in contests:
        candidates = tuple(c.pk for c in contest.candidates.all())
        pairs.extend(
            Pair(s.pk, contest.pk, s.registered_voters or 800, candidates)
            for s in stations
            if s.pk in stations_of[contest.pk]
        )
    random.Random(2026).shuffle(pairs)  # noqa: S311 - an order, not a secret
    return Election(DEMO_ELECTION_SLUG, election.pk, secret, tuple(pairs))


def sheet_body(rng: random.Random, pair: Pair, *, correction: bool) -> dict[str, Any]:
    """Plausible numbers that add up, as the entry API takes them."""
    cast = int(pair.registered * rng.uniform(0.35, 0.8))
    blank = rng.randint(0, max(1, cast // 50))
    invalid = rng.randint(0, max(1, cast // 40))
    votes = dict.fromkeys(pair.candidates, 0)
    for candidate in rng.choices(pair.candidates, k=max(0, cast - blank - invalid)) if pair.candidates else []:
        votes[candidate] += 1
    return {
        "station_id": pair.station_id,
        "contest_id": pair.contest_id,
        "ballots_cast": blank + invalid + sum(votes.values()),
        "blank": blank,
        "invalid": invalid,
        "votes": {str(k): v for k, v in votes.items()},
        "reason": "Recount at the counting centre" if correction else "",
    }


def results_version(election_id: int) -> int:
    from results.services import current_version

    return current_version(election_id=election_id)
