"""On PostgreSQL, refuse UPDATE and DELETE on the audit log at the database itself."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CREATE = """
CREATE OR REPLACE FUNCTION ballots_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused on ballots_auditevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS ballots_auditevent_append_only ON ballots_auditevent;
CREATE TRIGGER ballots_auditevent_append_only
    BEFORE UPDATE OR DELETE ON ballots_auditevent
    FOR EACH ROW EXECUTE FUNCTION ballots_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS ballots_auditevent_append_only ON ballots_auditevent;
DROP FUNCTION IF EXISTS ballots_auditevent_append_only();
"""


def create_trigger(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ballots", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
