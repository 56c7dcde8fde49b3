"""On PostgreSQL the application connects as a role that does not own the audit table: it appends events through
the append function and reads them, and cannot alter, drop or disable the table's triggers, empty it or change rows."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from trust.audit import find_chain_breaks, record_audit_event
from trust.database_roles import DatabaseRoleError, connected_as, grant_app_role
from trust.models import AuditEvent

pytestmark = [
    pytest.mark.postgres_only,
    # Serialized rollback: the flush after a transactional test would take the staff groups other tests rely on.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REFUSED_AS_APP = [
    "ALTER TABLE ballots_auditevent DISABLE TRIGGER ballots_auditevent_append_only",
    "ALTER TABLE ballots_auditevent DISABLE TRIGGER ALL",
    "DROP TRIGGER ballots_auditevent_no_truncate ON ballots_auditevent",
    "DROP TABLE ballots_auditevent",
    "TRUNCATE ballots_auditevent",
    "UPDATE ballots_auditevent SET action = 'rewritten'",
    "DELETE FROM ballots_auditevent",
    "INSERT INTO ballots_auditevent (at, action, object_type, object_id, object_repr, prev_hash, hash) "
    "VALUES (now(), 'forged', 'x', '1', 'x', 'x', 'x')",
    "SET session_replication_role = replica",
    "CREATE OR REPLACE FUNCTION ballots_auditevent_append_only() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ "
    "LANGUAGE plpgsql",
]


def _run(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def app_role() -> Iterator[str]:
    """A throwaway role, granted what the application needs; dropped with everything granted to it afterwards."""
    role = f"vt_app_test_{secrets.token_hex(4)}"
    grant_app_role(role=role, create=True)
    yield role
    _run(f"DROP OWNED BY {role}")
    _run(f"DROP ROLE {role}")


def test_the_application_role_appends_and_reads_but_cannot_touch_the_audit_table(app_role: str, official: User) -> None:
    with transaction.atomic():
        record_audit_event(action="test.before", obj=official, actor=official)

    with connected_as({"USER": app_role, "PASSWORD": ""}):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (app_role,)
        for statement in REFUSED_AS_APP:
            with pytest.raises(DatabaseError, match=r"must be owner|permission denied"), transaction.atomic():
                _run(statement)
        # What the application does all day still works: read and write its data, append to the log.
        with transaction.atomic():
            group = Group.objects.create(name="Written as the application")
            record_audit_event(action="test.as_app", obj=group, actor=official, after={"name": group.name})
        assert find_chain_breaks() is None
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.before", "test.as_app"]

    _run("SELECT 1")  # back to the owner's connection
    assert AuditEvent.objects.count() == 2


def test_migrate_runs_as_the_owner_and_grants_the_application_role_again(app_role: str, settings: object) -> None:
    owner = connection.settings_dict["USER"]
    _run(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app_role}")
    settings.MIGRATION_DATABASE = {"USER": owner, "PASSWORD": connection.settings_dict["PASSWORD"]}  # type: ignore[attr-defined]

    with connected_as({"USER": app_role, "PASSWORD": ""}):
        call_command("migrate", verbosity=0, interactive=False, stdout=io.StringIO())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT has_table_privilege('auth_group', 'INSERT'), has_table_privilege('ballots_auditevent', "
                "'SELECT'), has_table_privilege('ballots_auditevent', 'INSERT')"
            )
            assert cursor.fetchone() == (True, True, False)


def test_a_superuser_or_the_owner_is_refused_as_the_application_role() -> None:
    with pytest.raises(DatabaseRoleError, match="must connect as a role of its own"):
        grant_app_role(role=connection.settings_dict["USER"])
    with pytest.raises(CommandError, match="no role"):
        call_command("grant_app_role", role="vt_no_such_role", stdout=io.StringIO())


def test_migrate_creates_a_missing_application_role_with_its_password_when_asked(settings: object) -> None:
    owner = connection.settings_dict["USER"]
    role, password = f"vt_app_new_{secrets.token_hex(4)}", f"pw'{secrets.token_hex(8)}"
    settings.MIGRATION_DATABASE = {"USER": owner, "PASSWORD": connection.settings_dict["PASSWORD"]}  # type: ignore[attr-defined]
    try:
        with connected_as({"USER": role, "PASSWORD": password}):
            # The role does not exist yet: connecting as it would fail, but migrate connects as the owner first.
            call_command("migrate", verbosity=0, interactive=False, create_app_role=True, stdout=io.StringIO())
        # The new role logs in and holds the application's grants, not the owner's; it has a password (this test
        # server trusts local connections, so which one is checked where a server asks for it).
        with connected_as({"USER": role, "PASSWORD": password}), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, has_table_privilege('auth_group', 'INSERT'), "
                "has_table_privilege('ballots_auditevent', 'INSERT')"
            )
            assert cursor.fetchone() == (role, True, False)
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", [role])
            assert cursor.fetchone() == (True,)
    finally:
        _run(f"DROP OWNED BY {role}")
        _run(f"DROP ROLE IF EXISTS {role}")


def test_create_app_role_without_an_owner_to_create_it_as_is_refused_before_migrating() -> None:
    with pytest.raises(CommandError, match="needs MIGRATION_DATABASE_URL"):
        call_command("migrate", verbosity=0, interactive=False, create_app_role=True, stdout=io.StringIO())
