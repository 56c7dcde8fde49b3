"""The database itself keeps a certified election final and an election's counting method fixed once it left draft.

Triggers refuse, on PostgreSQL and on SQLite alike, any INSERT, UPDATE or DELETE of an election's row, districts,
polling stations, parties, contests, candidates, clerk and supervisor assignments while that election is certified,
and an UPDATE of the counting method of an election that is no longer a draft. A refusal is an IntegrityError. The
services refuse the same writes first, with a message for people; these triggers catch whatever goes around them
(a raw ``save()``, ``QuerySet.update()``, ``delete()``, a script).

What they do not stop is a wipe of whole tables: PostgreSQL's TRUNCATE fires no row trigger, and on SQLite
``manage.py flush`` lifts them for its own transaction (``elections/management/commands/flush.py``). Emptying the
database is not a change of an election, and the same command must behave the same on both.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

FINAL_MESSAGE = "a certified election is final: {table} rows cannot change"
COUNTING_MESSAGE = "the counting method of an election cannot change once it has left draft"

# Each guarded table, and the SQL giving the election of one of its rows ({row} is NEW or OLD).
ELECTION_OF_ROW = {
    "elections_district": "{row}.election_id",
    "elections_pollingstation": "{row}.election_id",
    "elections_party": "{row}.election_id",
    "elections_contest": "{row}.election_id",
    "elections_candidate": "(SELECT election_id FROM elections_contest WHERE id = {row}.contest_id)",
    "elections_clerkassignment": "(SELECT election_id FROM elections_pollingstation WHERE id = {row}.station_id)",
    "elections_supervisorassignment": "(SELECT election_id FROM elections_district WHERE id = {row}.district_id)",
}


def _postgresql_statements() -> list[str]:
    statements = [
        # FOR SHARE waits for a certification in progress, and keeps the election from being certified until the
        # writing transaction ends: a row cannot slip in while its election is being certified.
        """
        CREATE OR REPLACE FUNCTION elections_is_certified(election bigint) RETURNS boolean
        LANGUAGE sql VOLATILE AS $$
            SELECT coalesce((SELECT status = 'certified' FROM elections_election WHERE id = election FOR SHARE), false)
        $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION elections_election_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                IF NEW.status = 'certified' THEN
                    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
                        MESSAGE = '{FINAL_MESSAGE.format(table="elections_election")}';
                END IF;
                RETURN NEW;
            END IF;
            IF OLD.status = 'certified' THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
                    MESSAGE = '{FINAL_MESSAGE.format(table="elections_election")}';
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            IF OLD.status <> 'draft' AND NEW.counting_method IS DISTINCT FROM OLD.counting_method THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = '{COUNTING_MESSAGE}';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE TRIGGER elections_election_guard BEFORE INSERT OR UPDATE OR DELETE ON elections_election
        FOR EACH ROW EXECUTE FUNCTION elections_election_guard()
        """,
    ]
    return statements + postgresql_table_guards(ELECTION_OF_ROW)


def postgresql_table_guards(election_of_row: dict[str, str]) -> list[str]:
    """PostgreSQL triggers refusing writes to each table's rows of a certified election (later migrations reuse it)."""
    statements: list[str] = []
    for table, election_of in election_of_row.items():
        message = FINAL_MESSAGE.format(table=table)
        statements += [
            f"""
            CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    IF elections_is_certified({election_of.format(row="OLD")}) THEN
                        RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = '{message}';
                    END IF;
                END IF;
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                IF elections_is_certified({election_of.format(row="NEW")}) THEN
                    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = '{message}';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            f"""
            CREATE TRIGGER {table}_guard BEFORE INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_guard()
            """,
        ]
    return statements


def _sqlite_statements() -> list[str]:
    election_message = FINAL_MESSAGE.format(table="elections_election")
    statements = [
        f"""
        CREATE TRIGGER elections_election_guard_insert BEFORE INSERT ON elections_election
        WHEN NEW.status = 'certified' BEGIN SELECT RAISE(ABORT, '{election_message}'); END
        """,
        f"""
        CREATE TRIGGER elections_election_guard_update BEFORE UPDATE ON elections_election
        WHEN OLD.status = 'certified' BEGIN SELECT RAISE(ABORT, '{election_message}'); END
        """,
        f"""
        CREATE TRIGGER elections_election_guard_delete BEFORE DELETE ON elections_election
        WHEN OLD.status = 'certified' BEGIN SELECT RAISE(ABORT, '{election_message}'); END
        """,
        f"""
        CREATE TRIGGER elections_election_guard_counting BEFORE UPDATE OF counting_method ON elections_election
        WHEN OLD.status <> 'draft' AND NEW.counting_method IS NOT OLD.counting_method
        BEGIN SELECT RAISE(ABORT, '{COUNTING_MESSAGE}'); END
        """,
    ]
    return statements + sqlite_table_guards(ELECTION_OF_ROW)


def sqlite_table_guards(election_of_row: dict[str, str]) -> list[str]:
    """SQLite triggers refusing writes to each table's rows of a certified election (later migrations reuse it)."""

    def certified(election_of: str) -> str:
        return f"(SELECT status FROM elections_election WHERE id = {election_of}) = 'certified'"  # noqa: S608 - constant SQL

    statements: list[str] = []
    for table, election_of in election_of_row.items():
        message = FINAL_MESSAGE.format(table=table)
        old, new = certified(election_of.format(row="OLD")), certified(election_of.format(row="NEW"))
        statements += [
            f"""
            CREATE TRIGGER {table}_guard_insert BEFORE INSERT ON {table}
            WHEN {new} BEGIN SELECT RAISE(ABORT, '{message}'); END
            """,
            f"""
            CREATE TRIGGER {table}_guard_update BEFORE UPDATE ON {table}
            WHEN {old} OR {new} BEGIN SELECT RAISE(ABORT, '{message}'); END
            """,
            f"""
            CREATE TRIGGER {table}_guard_delete BEFORE DELETE ON {table}
            WHEN {old} BEGIN SELECT RAISE(ABORT, '{message}'); END
            """,
        ]
    return statements


def drop_table_guards(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "postgresql":
        return [
            *(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}" for table in tables),
            *(f"DROP FUNCTION IF EXISTS {table}_guard()" for table in tables),
        ]
    suffixes = ["insert", "update", "delete"]
    return [f"DROP TRIGGER IF EXISTS {table}_guard_{suffix}" for table in tables for suffix in suffixes]


def _drop_statements(vendor: str) -> list[str]:
    statements = drop_table_guards(vendor, ["elections_election", *ELECTION_OF_ROW])
    if vendor == "postgresql":
        return [*statements, "DROP FUNCTION IF EXISTS elections_is_certified(bigint)"]
    return ["DROP TRIGGER IF EXISTS elections_election_guard_counting", *statements]


def add_guards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in {"postgresql", "sqlite"}:
        raise NotImplementedError(f"VoteTracker's election guards are written for PostgreSQL and SQLite, not {vendor}")
    for statement in _postgresql_statements() if vendor == "postgresql" else _sqlite_statements():
        schema_editor.execute(statement, params=None)


def remove_guards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in _drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("elections", "0002_staff_groups")]

    operations = [migrations.RunPython(add_guards, remove_guards)]
