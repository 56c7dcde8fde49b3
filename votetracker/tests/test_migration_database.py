"""MIGRATION_DATABASE_URL: the owning role migrations run as, next to DATABASE_URL's application role."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from votetracker.config import load_config

SERVER = {
    "DATABASE_URL": "postgres://vt_app:secret@db.example:5432/votetracker",
    "SECRET_KEY": "config-test-key-not-for-production-0123456789-abcdefgh",
    "ALLOWED_HOSTS": "results.example.org",
}


def test_without_it_migrations_run_as_the_application_role(tmp_path: Path) -> None:
    assert load_config(SERVER, tmp_path).migration_database is None


def test_it_names_the_owner_of_the_same_database_over_one_plain_connection(tmp_path: Path) -> None:
    env = {**SERVER, "MIGRATION_DATABASE_URL": "postgres://vt_owner:other@db-admin.example:5433/votetracker"}
    owner = load_config(env, tmp_path).migration_database
    assert owner is not None
    assert (owner["USER"], owner["PASSWORD"], owner["HOST"], owner["PORT"]) == (
        "vt_owner",
        "other",
        "db-admin.example",
        5433,
    )
    assert "pool" not in owner.get("OPTIONS", {})


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"MIGRATION_DATABASE_URL": "postgres://vt_owner@db/votetracker"}, "needs DATABASE_URL"),
        ({**SERVER, "MIGRATION_DATABASE_URL": "postgres://vt_owner@db.example/elsewhere"}, "must name"),
        ({**SERVER, "MIGRATION_DATABASE_URL": "sqlite:///votetracker.sqlite3"}, "must name"),
        ({**SERVER, "MIGRATION_DATABASE_URL": "postgres://vt_app@db.example/votetracker"}, "same|DATABASE_URL's role"),
        ({**SERVER, "MIGRATION_DATABASE_URL": "mysql://x@y/votetracker"}, "cannot be parsed|must name"),
    ],
)
def test_a_wrong_value_stops_start_up_naming_the_variable(tmp_path: Path, env: dict[str, str], problem: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=rf"MIGRATION_DATABASE_URL: .*({problem})"):
        load_config(env, tmp_path)
