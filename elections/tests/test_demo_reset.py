"""``manage.py seed_demo --reset`` starts the demo afresh on a SQLite file, and refuses whatever it must not delete.

The resets run as `make demo-reset` runs them: separate processes on a database file of their own, read back here
with SQLite itself.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from elections.demo import DEMO_ELECTION_SLUGS
from elections.models import Election

ROOT = Path(__file__).resolve().parents[2]
# The resets below run every process on a SQLite file of their own, whatever the mode: once is enough.
ONCE = pytest.mark.once


def manage(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py`` on the SQLite file ``database``, as a separate process."""
    environment = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(
        DATABASE_URL=f"sqlite:///{database}",
        SECRET_KEY="demo-reset-test-key-not-for-production-0123456789abcdef",
        ALLOWED_HOSTS="localhost,127.0.0.1",
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )


def fresh_demo(database: Path) -> None:
    for args in (("migrate", "--noinput", "-v0"), ("seed_demo", "--if-empty")):
        done = manage(database, *args)
        assert done.returncode == 0, done.stderr


def read_demo_state(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """What a newcomer meets in the demo: elections and their status, stations, candidates, staff and their work,
    entries, and the audit log's actions."""
    queries = {
        "elections": "SELECT slug, status, results_visibility FROM elections_election ORDER BY slug",
        "stations": "SELECT code, registered_voters FROM elections_pollingstation ORDER BY election_id, code",
        "candidates": "SELECT contest_id, ballot_order, name_en FROM elections_candidate ORDER BY contest_id, 2",
        "accounts": "SELECT username, is_staff FROM auth_user ORDER BY username",
        "clerk boxes": "SELECT s.code FROM elections_clerkassignment a JOIN elections_pollingstation s "
        "ON s.id = a.station_id ORDER BY s.code",
        "tally sheets": "SELECT count(*) FROM ballots_tallysheet",
        "turnout reports": "SELECT count(*) FROM ballots_turnoutreport",
        "api tokens": "SELECT count(*) FROM ballots_apitoken",
        "audit actions": "SELECT action, count(*) FROM ballots_auditevent GROUP BY action ORDER BY action",
    }
    with sqlite3.connect(database) as db:
        return {name: db.execute(sql).fetchall() for name, sql in queries.items()}


@pytest.mark.django_db
def test_reset_refuses_a_database_that_is_not_a_sqlite_file_and_changes_nothing() -> None:
    call_command("seed_demo", stdout=StringIO())
    before = sorted(Election.objects.values_list("slug", "status"))
    # The test database is PostgreSQL in server mode and SQLite in memory in embedded mode: neither is a file.
    with pytest.raises(CommandError, match="only resets a SQLite database file"):
        call_command("seed_demo", "--reset", stdout=StringIO())
    assert sorted(Election.objects.values_list("slug", "status")) == before
    assert sorted(slug for slug, _status in before) == sorted(DEMO_ELECTION_SLUGS)


def test_force_goes_only_with_reset() -> None:
    with pytest.raises(CommandError, match="--force only goes with --reset"):
        call_command("seed_demo", "--force", stdout=StringIO())


@ONCE
def test_reset_after_an_election_night_brings_the_demo_back_as_it_was_first_loaded(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    fresh_demo(database)
    first = read_demo_state(database)
    night = manage(
        database, "simulate", "--election", "riverland-2026", "--publish", "--include-all", "--rate", "1000",
        "--sheets", "30",
    )  # fmt: skip
    assert night.returncode == 0, night.stderr
    assert read_demo_state(database) != first

    reset = manage(database, "seed_demo", "--reset", "--base-url", "http://127.0.0.1:8080")
    assert reset.returncode == 0, reset.stderr
    assert read_demo_state(database) == first
    assert read_demo_state(database)["elections"] == [
        ("lower-vale-2026", "draft", "hidden"),
        ("riverland-2026", "draft", "hidden"),
    ]
    # The new file holds password hashes again: owner-only, like the one `make run` makes.
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert "Created the demo election" in reset.stdout
    assert "clerk       demo-clerk-2026        http://127.0.0.1:8080/entry/" in reset.stdout
    audit = manage(database, "verify_audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr


@ONCE
def test_reset_refuses_a_database_holding_more_than_the_demo_unless_forced(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    fresh_demo(database)
    added = manage(
        database,
        "shell",
        "-c",
        "import datetime; from django.contrib.auth.models import User; from elections.models import Election; "
        "Election.objects.create(slug='town-2027', name='Town 2027', date=datetime.date(2027, 5, 1)); "
        "User.objects.create_user('returning-officer')",
    )
    assert added.returncode == 0, added.stderr
    before = read_demo_state(database)

    refused = manage(database, "seed_demo", "--reset")
    assert refused.returncode != 0
    assert "election town-2027" in refused.stderr
    assert "account returning-officer" in refused.stderr
    assert "--force" in refused.stderr
    assert read_demo_state(database) == before

    forced = manage(database, "seed_demo", "--reset", "--force")
    assert forced.returncode == 0, forced.stderr
    state = read_demo_state(database)
    assert [slug for slug, _status, _visibility in state["elections"]] == ["lower-vale-2026", "riverland-2026"]
    assert [username for username, _staff in state["accounts"]] == ["clerk", "official", "supervisor"]
