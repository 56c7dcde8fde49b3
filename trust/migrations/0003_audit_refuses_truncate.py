"""On PostgreSQL, refuse TRUNCATE of the audit log at the database itself, as UPDATE and DELETE already are.

The row trigger of ballots migration 0002 does not fire for TRUNCATE, which empties the table in one statement. This
adds a statement-level BEFORE TRUNCATE trigger on the same table, raising the same error. ``manage.py flush`` (which
Django's test runner also calls between transactional tests) lifts it for its own transaction only: see
``trust.audit.audit_log_emptiable``.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# trust.audit.AUDIT_TRUNCATE_TRIGGER, written out: a migration must not change when the code does.
CREATE = """
CREATE OR REPLACE FUNCTION ballots_auditevent_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused on ballots_auditevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS ballots_auditevent_no_truncate ON ballots_auditevent;
CREATE TRIGGER ballots_auditevent_no_truncate
    BEFORE TRUNCATE ON ballots_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION ballots_auditevent_refuse_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS ballots_auditevent_no_truncate ON ballots_auditevent;
DROP FUNCTION IF EXISTS ballots_auditevent_refuse_truncate();
"""


def create_trigger(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("trust", "0002_idempotency_record_created")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
