"""Settings come from the environment; server mode refuses a missing or malformed value and names it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from votetracker.config import load_config

PROJECT_DIR = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 50
SERVER = {
    "DATABASE_URL": "postgres://vt:secret@db.example:5432/votetracker",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "results.example.org",
}


def test_embedded_default_needs_no_configuration(tmp_path: Path) -> None:
    config = load_config({}, tmp_path)
    assert not config.server_mode
    assert config.database["ENGINE"] == "django.db.backends.sqlite3"
    assert config.database["NAME"] == str(tmp_path / "votetracker.sqlite3")
    assert config.redis_url is None
    assert "127.0.0.1" in config.allowed_hosts


def test_embedded_secret_key_is_random_and_kept_across_restarts(tmp_path: Path) -> None:
    first = load_config({}, tmp_path).secret_key
    assert len(first) >= 50
    assert load_config({}, tmp_path).secret_key == first
    assert load_config({}, tmp_path / "..").secret_key != first or (tmp_path / ".." / ".secret_key").exists()


def test_server_mode_reads_postgres_and_redis(tmp_path: Path) -> None:
    config = load_config({**SERVER, "REDIS_URL": "redis://cache:6379/2", "TIME_ZONE": "Asia/Amman"}, tmp_path)
    assert config.server_mode
    assert config.database["ENGINE"] == "django.db.backends.postgresql"
    assert config.database["NAME"] == "votetracker"
    assert config.database["HOST"] == "db.example"
    assert config.redis_url == "redis://cache:6379/2"
    assert config.time_zone == "Asia/Amman"
    assert config.allowed_hosts == ["results.example.org"]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({**SERVER, "SECRET_KEY": ""}, "SECRET_KEY"),
        ({**SERVER, "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({k: v for k, v in SERVER.items() if k != "ALLOWED_HOSTS"}, "ALLOWED_HOSTS"),
        ({**SERVER, "ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({**SERVER, "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({**SERVER, "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({**SERVER, "DATABASE_URL": "postgres://u@h:5432/"}, "DATABASE_URL"),
        ({**SERVER, "REDIS_URL": "http://cache:6379"}, "REDIS_URL"),
        ({**SERVER, "REDIS_URL": "redis://cache:notaport/0"}, "REDIS_URL"),
        ({**SERVER, "DEBUG": "maybe"}, "DEBUG"),
        ({**SERVER, "TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
        ({**SERVER, "CSRF_TRUSTED_ORIGINS": "results.example.org"}, "CSRF_TRUSTED_ORIGINS"),
        ({"REDIS_URL": "redis://cache:6379/0"}, "SECRET_KEY"),
    ],
)
def test_server_mode_refuses_bad_value_naming_the_variable(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=rf"^{variable}: "):
        load_config(env, tmp_path)


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False)])
def test_debug_reads_the_usual_words(tmp_path: Path, raw: str, expected: bool) -> None:
    assert load_config({"DEBUG": raw}, tmp_path).debug is expected


def test_start_up_stops_with_a_message_naming_the_variable() -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/votetracker", "DJANGO_SETTINGS_MODULE": ""})
    env.pop("DJANGO_SETTINGS_MODULE")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY: is required in server mode" in result.stderr
