"""deploy/backup.sh and deploy/restore.sh: a dump restores into an empty database with the same rows, and the
restored database passes verify_audit and verify_tallies; old dumps are pruned; bad input loses nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from psycopg import sql

from ballots.services import record_ballot, void_ballot
from ballots.tests.support import set_counting, submit_sheet
from elections.models import Election
from elections.services import open_election, publish_results
from results.services import snapshot_key
from votetracker.tests.servers import server_environment

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"
COUNTED_TABLES = [
    "ballots_ballot",
    "ballots_ballotvoid",
    "ballots_tallysheet",
    "ballots_tallysheetvote",
    "ballots_auditevent",
    "elections_pollingstation",
]

pytestmark = pytest.mark.postgres_only


def _database_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), *args],
        env={**server_environment(), "PYTHON": sys.executable, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        counts = {}
        for table in COUNTED_TABLES:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
            assert row is not None
            counts[table] = int(row[0])
        return counts


@pytest.fixture
def restore_url() -> Iterator[str]:
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore"
    with psycopg.connect(_database_url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield _database_url(name)
    with psycopg.connect(_database_url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def empty_cache() -> Iterator[None]:
    """No snapshot left in this run's Redis database by an earlier run (it would be ahead of this one)."""
    cache.clear()
    yield
    cache.clear()


def _fill(election: Election, official: User, clerk: User) -> None:
    """Tally sheets at two stations, ballots (one voided) at a third: entries, votes and audit events."""
    election = set_counting(election, Election.CountingMethod.BOTH)
    open_election(election=election, actor=official)
    publish_results(election=election, actor=official)
    contest = election.contests.get(slug="mayor")
    for code, votes in [("N-002", [120, 80]), ("S-001", [300, 410])]:
        station = election.stations.get(code=code)
        submit_sheet(station=station, contest=contest, actor=official, key=f"sheet-{code}", votes=votes, blank=3)
    station = election.stations.get(code="N-001")
    first = contest.candidates.order_by("ballot_order")[0]
    ballots = [
        record_ballot(
            station=station,
            contest=contest,
            kind="marked",
            marks=[first.pk],
            actor=clerk,
            idempotency_key=f"ballot-{i:04d}",
        ).obj
        for i in range(3)
    ]
    record_ballot(station=station, contest=contest, kind="blank", marks=[], actor=clerk, idempotency_key="ballot-blank")
    void_ballot(ballot=ballots[0], reason="entered twice", actor=clerk, idempotency_key="void-ballot-0000")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_restores_into_an_empty_database_with_the_same_rows_and_it_verifies(
    election: Election, official: User, clerk: User, restore_url: str, tmp_path: Path, empty_cache: None
) -> None:
    _fill(election, official, clerk)
    source_url = _database_url(connection.settings_dict["NAME"])

    backup = _run(BACKUP, BACKUP_DIR=str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert dump.parent == tmp_path
    assert dump.name.startswith("votetracker-")
    assert dump.suffix == ".dump"
    assert dump.stat().st_mode & 0o077 == 0, "a dump must be readable by its owner only"

    expected = _counts(source_url)
    assert all(expected.values()), expected
    restore = _run(RESTORE, str(dump), DATABASE_URL=restore_url)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    # restore.sh ran `manage.py verify_audit` and `verify_tallies` with DATABASE_URL naming the restored database.
    assert f"Audit log verified: {expected['ballots_auditevent']} event(s), chain intact." in restore.stdout
    # The cache holds the snapshot the entries above produced; a recount of the restored rows must equal it.
    served = cache.get(snapshot_key(election.slug))
    assert served is not None
    assert f"{election.slug}: served version {served['version']} equals a recount." in restore.stdout

    assert _counts(restore_url) == expected

    # The check has teeth: an audit row edited in the restored copy (around the append-only trigger) fails it.
    with psycopg.connect(restore_url) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE ballots_auditevent SET action = 'edited' WHERE id = (SELECT max(id) FROM ballots_auditevent)"
        )
    tampered = _run(RESTORE, "--verify-only", DATABASE_URL=restore_url)
    assert tampered.returncode == 1
    assert "does not verify" in tampered.stderr


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_refuses_a_database_that_holds_tables_unless_told_to_replace(
    election: Election, restore_url: str, tmp_path: Path
) -> None:
    dump = Path(_run(BACKUP, BACKUP_DIR=str(tmp_path)).stdout.strip())
    assert _run(RESTORE, "--restore-only", str(dump), DATABASE_URL=restore_url).returncode == 0
    with psycopg.connect(restore_url) as conn:
        conn.execute("UPDATE elections_election SET name = 'Kept'")

    refused = _run(RESTORE, "--restore-only", str(dump), DATABASE_URL=restore_url)
    assert refused.returncode == 2
    assert "already holds" in refused.stderr
    assert "--replace" in refused.stderr
    with psycopg.connect(restore_url) as conn:
        assert conn.execute("SELECT name FROM elections_election").fetchall() == [("Kept",)]

    replaced = _run(RESTORE, "--restore-only", "--replace", str(dump), DATABASE_URL=restore_url)
    assert replaced.returncode == 0, replaced.stderr
    with psycopg.connect(restore_url) as conn:
        assert conn.execute("SELECT name FROM elections_election").fetchall() == [(election.name,)]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "no dump file given"),
        (["missing.dump"], {}, "cannot read the dump file"),
        (["--restore-only", "--verify-only", "x.dump"], {}, "exclude each other"),
        (["x.dump"], {"DATABASE_URL": "mysql://db/name"}, "must start with postgres://"),
        (["--frobnicate"], {}, "unknown option"),
    ],
)
def test_restore_names_what_is_wrong_with_its_arguments(args: list[str], env: dict[str, str], message: str) -> None:
    result = _run(RESTORE, *args, **env)
    assert result.returncode == 2
    assert message in result.stderr


def test_restore_refuses_a_file_that_is_not_a_dump(tmp_path: Path) -> None:
    bogus = tmp_path / "votetracker-20260101T000000Z.dump"
    bogus.write_text("not a dump")
    result = _run(RESTORE, str(bogus))
    assert result.returncode == 2
    assert "not a dump pg_restore can read" in result.stderr


def _old_dumps(directory: Path, days: range) -> list[Path]:
    paths = [directory / f"votetracker-202601{day:02d}T020000Z.dump" for day in days]
    for path in paths:
        path.write_bytes(b"an older dump")
    return paths


@pytest.mark.django_db
def test_backup_keeps_only_the_newest_backup_keep_dumps(tmp_path: Path) -> None:
    old = _old_dumps(tmp_path, range(1, 6))
    other = tmp_path / "notes.txt"
    other.write_text("not a dump: left alone")

    result = _run(BACKUP, BACKUP_DIR=str(tmp_path), BACKUP_KEEP="3")
    assert result.returncode == 0, result.stderr
    new = Path(result.stdout.strip())
    assert sorted(tmp_path.glob("votetracker-*.dump")) == [old[3], old[4], new]
    assert other.exists()
    assert "keeping the newest 3" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("keep", ["0", "-1", "two", "3.5", "100000"])
def test_backup_refuses_a_bad_backup_keep_and_deletes_nothing(tmp_path: Path, keep: str) -> None:
    old = _old_dumps(tmp_path, range(1, 4))
    result = _run(BACKUP, BACKUP_DIR=str(tmp_path), BACKUP_KEEP=keep)
    assert result.returncode == 2
    assert "BACKUP_KEEP must be a whole number" in result.stderr
    assert sorted(tmp_path.iterdir()) == old


@pytest.mark.django_db
def test_a_failed_dump_leaves_no_file_and_prunes_nothing(tmp_path: Path) -> None:
    old = _old_dumps(tmp_path, range(1, 4))
    result = _run(
        BACKUP, BACKUP_DIR=str(tmp_path), BACKUP_KEEP="1", DATABASE_URL=_database_url("votetracker_no_such_database")
    )
    assert result.returncode == 1
    assert "votetracker_no_such_database" in result.stderr
    assert sorted(tmp_path.iterdir()) == old


def test_backup_requires_a_postgres_database_url(tmp_path: Path) -> None:
    result = _run(BACKUP, BACKUP_DIR=str(tmp_path), DATABASE_URL="")
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr
    assert list(tmp_path.iterdir()) == []
