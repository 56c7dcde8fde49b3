"""Two database roles on PostgreSQL: the owner, which migrations run as, and the application's role, which reads and
writes the data but does not own the audit table, so it cannot alter it, drop or disable its triggers, or empty it.

The application's role gets ``SELECT``, ``INSERT``, ``UPDATE`` and ``DELETE`` on every table except the audit log,
of which it may only read; it appends through ``ballots_auditevent_append``, which runs with the owner's rights (trust
migration 0004). ``grant_app_role`` gives exactly that, and makes tables created later by the owner's migrations
readable and writable by the role too. With ``MIGRATION_DATABASE_URL`` set, ``manage.py migrate`` connects as the
owner and grants the application's role (``DATABASE_URL``'s) again when it is done.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from trust.models import AuditEvent

# Unquoted PostgreSQL names, as an operator types them: quoting is then only a formality.
ROLE_NAME = re.compile(r"\A[a-z_][a-z0-9_]{0,62}\Z")
# The append function of trust migration 0004, by its signature.
APPEND_FUNCTION = (
    "ballots_auditevent_append(timestamptz, integer, text, inet, text, text, text, text, bigint, jsonb, jsonb, text, "
    "jsonb, jsonb, bytea)"
)
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


class DatabaseRoleError(Exception):
    """The roles cannot be set up as asked; the message says why."""


@contextmanager
def connected_as(credentials: Mapping[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Make ``using``'s connections inside this block with other credentials (user, password, host, port and
    options), over one plain connection instead of the pool, and go back to its own afterwards."""
    connection = connections[using]
    saved = dict(connection.settings_dict)
    _close(connection)
    connection.settings_dict.update({key: credentials[key] for key in CREDENTIALS if key in credentials})
    options = {**saved.get("OPTIONS", {}), **credentials.get("OPTIONS", {})}
    # The pool is per alias and was opened with the other credentials.
    options.pop("pool", None)
    connection.settings_dict["OPTIONS"] = options
    try:
        yield
    finally:
        _close(connection)
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _close(connection: Any) -> None:
    connection.close()
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()


@contextmanager
def connected_as_owner(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    """Connect as the owner of ``MIGRATION_DATABASE_URL`` inside this block, when it is set (yields whether it is)."""
    owner: dict[str, Any] | None = getattr(settings, "MIGRATION_DATABASE", None)
    if owner is None or using != DEFAULT_DB_ALIAS:
        yield False
        return
    with connected_as(owner, using=using):
        yield True


def role_exists(role: str, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return cursor.fetchone() is not None


def _owner_of_audit_table(cursor: Any) -> str:
    cursor.execute(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = %s",
        [AuditEvent._meta.db_table],
    )
    row = cursor.fetchone()
    if row is None:
        raise DatabaseRoleError("The audit table does not exist yet: run `manage.py migrate` first.")
    return str(row[0])


def _refuse_unsafe_role(cursor: Any, role: str, owner: str) -> None:
    """A superuser, the owner or a member of the owner's role could do all the owner can: that defeats the point."""
    cursor.execute(
        "SELECT rolsuper, pg_has_role(%s, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s", [role, owner, role]
    )
    superuser, member = cursor.fetchone()
    if superuser or member:
        raise DatabaseRoleError(
            f"Role {role!r} is a superuser, or the audit table's owner {owner!r}, or a member of it: the application "
            f"must connect as a role of its own that is none of these."
        )


def _grant_statements(*, role: str, owner: str, schema: str, database: str, audit_sequence: str | None) -> list[str]:
    """What ``role`` may do, from scratch: its earlier grants on this schema are revoked first."""
    audit = AuditEvent._meta.db_table
    statements = [
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # The audit log is read here and appended to only through the owner's function.
        f"REVOKE ALL ON {audit} FROM {role}",
        f"GRANT SELECT ON {audit} TO {role}",
        f"GRANT EXECUTE ON FUNCTION {APPEND_FUNCTION} TO {role}",
        # Which migrations ran is the owner's business.
        f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    if audit_sequence is not None:
        statements.insert(7, f"REVOKE ALL ON SEQUENCE {audit_sequence} FROM {role}")
    return statements


def grant_app_role(*, role: str, create: bool = False, password: str = "", using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Give ``role`` what the application needs and nothing of the audit table's owner; create it first (able to
    log in, with ``password`` or none yet) when ``create`` and it does not exist. Run as the owner or a superuser;
    running it again is harmless and leaves an existing role's password alone. Returns the statements it ran (a
    password as "…")."""
    if not ROLE_NAME.match(role):
        raise DatabaseRoleError(f"{role!r} is not a plain role name (lower-case letters, digits and _).")
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise DatabaseRoleError("Separate database roles exist on PostgreSQL only.")
    quote = connection.ops.quote_name
    # All or nothing: a role left half granted would be worse than one not granted at all.
    with transaction.atomic(using=using), connection.cursor() as cursor:
        owner = _owner_of_audit_table(cursor)
        ran: list[str] = []
        if not role_exists(role, using=using):
            if not create:
                raise DatabaseRoleError(f"There is no role {role!r}; create it, or pass --create.")
            if password:
                # Bound client-side by Django's psycopg cursor, so the password is quoted as a literal.
                cursor.execute(f"CREATE ROLE {quote(role)} LOGIN PASSWORD %s", [password])
                ran.append(f"CREATE ROLE {quote(role)} LOGIN PASSWORD '…'")
            else:
                ran.append(f"CREATE ROLE {quote(role)} LOGIN")
                cursor.execute(ran[-1])
        _refuse_unsafe_role(cursor, role, owner)
        cursor.execute(
            "SELECT current_schema(), current_database(), pg_get_serial_sequence(%s, 'id')", [AuditEvent._meta.db_table]
        )
        schema, database, audit_sequence = cursor.fetchone()
        statements = _grant_statements(
            role=quote(role),
            owner=quote(owner),
            schema=quote(schema),
            database=quote(database),
            audit_sequence=audit_sequence,
        )
        for statement in statements:
            cursor.execute(statement)
    return ran + statements
