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
GOOD_KEY = "config-test-key-not-for-production-0123456789-abcdefgh"
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
        ({**SERVER, "SECRET_KEY": "change-me-to-at-least-32-random-characters"}, "SECRET_KEY"),
        ({**SERVER, "SECRET_KEY": GOOD_KEY[:49]}, "SECRET_KEY"),
        ({**SERVER, "SECRET_KEY": "k" * 50}, "SECRET_KEY"),
        ({**SERVER, "SECRET_KEY": "abcd" * 20}, "SECRET_KEY"),
        ({**SERVER, "SECRET_KEY": "django-insecure-" + GOOD_KEY}, "SECRET_KEY"),
        ({k: v for k, v in SERVER.items() if k != "ALLOWED_HOSTS"}, "ALLOWED_HOSTS"),
        ({**SERVER, "ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({**SERVER, "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({**SERVER, "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({**SERVER, "DATABASE_URL": "postgres://u@h:5432/"}, "DATABASE_URL"),
        ({**SERVER, "REDIS_URL": "http://cache:6379"}, "REDIS_URL"),
        ({**SERVER, "REDIS_URL": "redis://cache:notaport/0"}, "REDIS_URL"),
        ({**SERVER, "DEBUG": "maybe"}, "DEBUG"),
        ({**SERVER, "DATABASE_POOL_SIZE": "0"}, "DATABASE_POOL_SIZE"),
        ({**SERVER, "DATABASE_POOL_SIZE": "lots"}, "DATABASE_POOL_SIZE"),
        ({**SERVER, "TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
        ({**SERVER, "CSRF_TRUSTED_ORIGINS": "results.example.org"}, "CSRF_TRUSTED_ORIGINS"),
        ({"REDIS_URL": "redis://cache:6379/0"}, "SECRET_KEY"),
        ({**SERVER, "HTTPS": "sometimes"}, "HTTPS"),
        ({**SERVER, "HSTS_SECONDS": "a year"}, "HSTS_SECONDS"),
        ({**SERVER, "HSTS_SECONDS": "-1"}, "HSTS_SECONDS"),
        ({**SERVER, "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({**SERVER, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({**SERVER, "METRICS_ALLOWED_IPS": "127.0.0.1,prometheus"}, "METRICS_ALLOWED_IPS"),
        ({**SERVER, "METRICS_ALLOWED_IPS": "10.0.0.0/33"}, "METRICS_ALLOWED_IPS"),
        ({**SERVER, "TRUSTED_PROXIES": "*"}, "TRUSTED_PROXIES"),
        ({**SERVER, "TRUSTED_PROXIES": "10.0.0.0/8,nginx"}, "TRUSTED_PROXIES"),
        ({**SERVER, "TRUSTED_PROXIES": "172.16.0.0/33"}, "TRUSTED_PROXIES"),
        ({**SERVER, "SESSION_HOURS": "0"}, "SESSION_HOURS"),
        ({**SERVER, "SESSION_HOURS": "25"}, "SESSION_HOURS"),
        ({**SERVER, "SESSION_HOURS": "a shift"}, "SESSION_HOURS"),
        ({"SESSION_HOURS": "-1"}, "SESSION_HOURS"),
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


def test_server_mode_is_behind_https_with_json_logs_by_default(tmp_path: Path) -> None:
    config = load_config(SERVER, tmp_path)
    assert config.https
    assert config.hsts_seconds == 365 * 24 * 3600
    assert config.log_format == "json"
    assert config.log_level == "INFO"
    assert [str(network) for network in config.metrics_allowed_networks] == ["127.0.0.1/32", "::1/128"]
    # No proxy is believed unless named: a client's own X-Forwarded-For never counts.
    assert config.trusted_proxies == ()
    assert config.session_hours == 12


def test_embedded_mode_is_plain_http_with_text_logs(tmp_path: Path) -> None:
    config = load_config({}, tmp_path)
    assert not config.https
    assert config.hsts_seconds == 0
    assert config.log_format == "text"


@pytest.mark.parametrize("hosts", ["localhost,127.0.0.1,testserver", "[::1]"])
def test_a_node_answering_only_to_local_names_defaults_to_plain_http(tmp_path: Path, hosts: str) -> None:
    assert not load_config({**SERVER, "ALLOWED_HOSTS": hosts}, tmp_path).https


def test_https_and_the_rest_can_be_set_explicitly(tmp_path: Path) -> None:
    env = {
        **SERVER,
        "HTTPS": "false",
        "LOG_FORMAT": "TEXT",
        "LOG_LEVEL": "warning",
        "METRICS_ALLOWED_IPS": "10.0.0.0/8, 192.0.2.7",
    }
    config = load_config(env, tmp_path)
    assert not config.https
    assert config.hsts_seconds == 0
    assert (config.log_format, config.log_level) == ("text", "WARNING")
    assert [str(network) for network in config.metrics_allowed_networks] == ["10.0.0.0/8", "192.0.2.7/32"]
    local = load_config({**SERVER, "ALLOWED_HOSTS": "localhost", "HTTPS": "true", "HSTS_SECONDS": "600"}, tmp_path)
    assert local.https
    assert local.hsts_seconds == 600
    assert load_config({**SERVER, "METRICS_ALLOWED_IPS": ""}, tmp_path).metrics_allowed_networks == ()
    proxies = load_config({**SERVER, "TRUSTED_PROXIES": " 172.31.240.0/24, 2001:db8::7 "}, tmp_path).trusted_proxies
    assert [str(network) for network in proxies] == ["172.31.240.0/24", "2001:db8::7/128"]
    assert load_config({**SERVER, "SESSION_HOURS": "8"}, tmp_path).session_hours == 8


def test_postgresql_connections_come_from_a_bounded_pool_not_one_per_thread(tmp_path: Path) -> None:
    database = load_config(SERVER, tmp_path).database
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"]["max_size"] == 10
    assert load_config({**SERVER, "DATABASE_POOL_SIZE": "25"}, tmp_path).database["OPTIONS"]["pool"]["max_size"] == 25
