"""A server node refuses a published or weak SECRET_KEY; the embedded mode's key file and SQLite database are readable
by their owner only, from the moment they exist."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from votetracker.config import load_config

PROJECT_DIR = Path(__file__).resolve().parents[2]
SERVER = {"DATABASE_URL": "postgres://vt:secret@db.example:5432/votetracker", "ALLOWED_HOSTS": "results.example.org"}
GOOD_KEY = "files-test-key-not-for-production-0123456789-abcdefgh"
# `SECRET_KEY=value` as the examples write it (values in angle brackets or ellipses are not keys).
EXAMPLE = re.compile(r"^\s*SECRET_KEY=([^\s<>`'\"]+)", re.MULTILINE)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Files are created as permissive as the process allows, so only an explicit mode keeps them private."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def published_example_keys() -> list[str]:
    sources = [PROJECT_DIR / ".env.example", PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
    return [key for source in sources for key in EXAMPLE.findall(source.read_text())]


def test_the_env_example_holds_a_secret_key_example() -> None:
    """The scan below must see the example operators copy, or it would prove nothing."""
    assert EXAMPLE.search((PROJECT_DIR / ".env.example").read_text())


@pytest.mark.parametrize("key", published_example_keys())
def test_every_published_example_key_is_refused_in_server_mode(tmp_path: Path, key: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^SECRET_KEY: "):
        load_config({**SERVER, "SECRET_KEY": key}, tmp_path)


def test_a_node_started_with_the_env_example_key_stops_naming_secret_key() -> None:
    key = EXAMPLE.findall((PROJECT_DIR / ".env.example").read_text())[0]
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({**SERVER, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/votetracker", "SECRET_KEY": key})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY: is the published example" in result.stderr


def _keys_the_project_runs_with() -> dict[str, str]:
    makefile = (PROJECT_DIR / "Makefile").read_text()
    chaos = (PROJECT_DIR / "chaos" / "instances.py").read_text()
    bench = (PROJECT_DIR / "bench" / "prepare.py").read_text()
    return {
        "Makefile": re.findall(r"SECRET_KEY=(\S+)", makefile)[0],
        "chaos": re.findall(r'^SECRET_KEY = "([^"]+)"', chaos, re.MULTILINE)[0],
        "bench": re.findall(r'^BENCH_SECRET_KEY = "([^"]+)"', bench, re.MULTILINE)[0],
    }


@pytest.mark.parametrize("where", ["Makefile", "chaos", "bench"])
def test_the_keys_the_test_servers_use_pass_the_check(tmp_path: Path, where: str) -> None:
    key = _keys_the_project_runs_with()[where]
    assert load_config({**SERVER, "SECRET_KEY": key}, tmp_path).secret_key == key


def test_the_embedded_key_file_is_created_private(tmp_path: Path, open_umask: None) -> None:
    key = load_config({}, tmp_path).secret_key
    assert mode_of(tmp_path / ".secret_key") == 0o600
    assert (tmp_path / ".secret_key").read_text() == key


def test_a_key_file_left_readable_by_an_earlier_release_is_narrowed(tmp_path: Path) -> None:
    (tmp_path / ".secret_key").write_text("kept-key-" + "x1y2z3" * 9)
    (tmp_path / ".secret_key").chmod(0o644)
    assert load_config({}, tmp_path).secret_key == "kept-key-" + "x1y2z3" * 9
    assert mode_of(tmp_path / ".secret_key") == 0o600


def test_the_key_is_never_written_through_a_planted_link(tmp_path: Path) -> None:
    """A link planted where the key file goes would send a new key to a file of the planter's choosing."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".secret_key").symlink_to(elsewhere / "stolen")
    with pytest.raises(ImproperlyConfigured, match=r"^SECRET_KEY: "):
        load_config({}, tmp_path / "project")
    assert not (elsewhere / "stolen").exists()


def test_the_sqlite_file_exists_private_before_django_opens_it(tmp_path: Path, open_umask: None) -> None:
    load_config({}, tmp_path)
    assert mode_of(tmp_path / "votetracker.sqlite3") == 0o600
    load_config({**SERVER, "SECRET_KEY": GOOD_KEY, "DATABASE_URL": f"sqlite:///{tmp_path}/node.db"}, tmp_path)
    assert mode_of(tmp_path / "node.db") == 0o600


def test_a_sqlite_file_left_readable_by_an_earlier_release_is_narrowed(tmp_path: Path) -> None:
    (tmp_path / "votetracker.sqlite3").touch(mode=0o644)
    (tmp_path / "votetracker.sqlite3").chmod(0o644)
    load_config({}, tmp_path)
    assert mode_of(tmp_path / "votetracker.sqlite3") == 0o600


def test_a_node_writes_its_sqlite_database_readable_by_its_owner_only(tmp_path: Path) -> None:
    """A real process with the usual umask (022) creates and writes the database: others cannot read it."""
    database = tmp_path / "node.sqlite3"
    write = (
        "import django; django.setup(); from django.db import connection; cursor = connection.cursor(); "
        "cursor.execute('CREATE TABLE t (x integer)'); cursor.execute('INSERT INTO t VALUES (1)')"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "votetracker.settings",
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": GOOD_KEY,
            "ALLOWED_HOSTS": "testserver",
        }
    )
    result = subprocess.run(
        ["sh", "-c", f'umask 022 && exec "{sys.executable}" -c "{write}"'],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert database.stat().st_size > 0
    assert mode_of(database) == 0o600
