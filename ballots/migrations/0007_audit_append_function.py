"""On PostgreSQL, append an audit event in one statement: take the chain's lock, read the last hash, hash, insert.

Doing the four steps from Python costs four round trips while every other writer waits for the lock; inside one
function call they cost one. The hash is the same as ``ballots.audit.compute_event_hash``: SHA-256 over the previous
hash (UTF-8) followed by the event's canonical payload, which the caller encodes and passes in. A VOLATILE function
reads with a fresh snapshot per statement, so the last hash is read after the lock is granted.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# ballots.audit.AUDIT_CHAIN_LOCK_ID, written out: a migration must not change when the code does.
CREATE = """
CREATE OR REPLACE FUNCTION ballots_auditevent_append(
    p_at timestamptz, p_actor_id integer, p_actor_name text, p_client_address inet, p_action text,
    p_object_type text, p_object_id text, p_object_repr text, p_election_id bigint, p_before jsonb, p_after jsonb,
    p_idempotency_key text, p_payload bytea,
    OUT event_id bigint, OUT event_prev_hash text, OUT event_hash text
) VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1987015781);
    SELECT hash INTO event_prev_hash FROM ballots_auditevent ORDER BY id DESC LIMIT 1;
    event_prev_hash := coalesce(event_prev_hash, repeat('0', 64));
    event_hash := encode(sha256(convert_to(event_prev_hash, 'UTF8') || p_payload), 'hex');
    INSERT INTO ballots_auditevent (
        at, actor_id, actor_name, client_address, action, object_type, object_id, object_repr, election_id,
        before, after, idempotency_key, prev_hash, hash
    ) VALUES (
        p_at, p_actor_id, p_actor_name, p_client_address, p_action, p_object_type, p_object_id, p_object_repr,
        p_election_id, p_before, p_after, p_idempotency_key, event_prev_hash, event_hash
    ) RETURNING id INTO event_id;
END;
$$ LANGUAGE plpgsql;
"""

DROP = (
    "DROP FUNCTION IF EXISTS ballots_auditevent_append(timestamptz, integer, text, inet, text, text, text, text, "
    "bigint, jsonb, jsonb, text, bytea);"
)


def create_function(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_function(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ballots", "0006_officials_manage_api_tokens")]

    operations = [migrations.RunPython(create_function, drop_function)]
