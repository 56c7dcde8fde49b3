"""Audit events record a digest of the entry rows they wrote and how their actor signed in; API tokens record who
issued them and when their holder activated them.

Tokens issued before this were usable at once, so they count as activated when they were created, and the official
who issued each is read back from its ``api_token.issue`` event.

On PostgreSQL the append function of ballots migration 0007 is replaced by one that also stores the two new fields.
It runs with its owner's rights (SECURITY DEFINER), so an application role granted only ``SELECT`` on the table and
``EXECUTE`` on the function still appends (``manage.py grant_app_role``); nobody else may call it. Its search path
is fixed to the table's schema, with ``pg_temp`` last, so a caller cannot slip in a table or function of their own.
"""

import django.db.models.deletion
from django.apps.registry import Apps
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# trust.audit.AUDIT_CHAIN_LOCK_ID, written out: a migration must not change when the code does.
CREATE = """
DROP FUNCTION IF EXISTS ballots_auditevent_append(timestamptz, integer, text, inet, text, text, text, text,
    bigint, jsonb, jsonb, text, bytea);
CREATE FUNCTION ballots_auditevent_append(
    p_at timestamptz, p_actor_id integer, p_actor_name text, p_client_address inet, p_action text,
    p_object_type text, p_object_id text, p_object_repr text, p_election_id bigint, p_before jsonb, p_after jsonb,
    p_idempotency_key text, p_rows_digest jsonb, p_authentication jsonb, p_payload bytea,
    OUT event_id bigint, OUT event_prev_hash text, OUT event_hash text
) VOLATILE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1987015781);
    SELECT hash INTO event_prev_hash FROM ballots_auditevent ORDER BY id DESC LIMIT 1;
    event_prev_hash := coalesce(event_prev_hash, repeat('0', 64));
    event_hash := encode(sha256(convert_to(event_prev_hash, 'UTF8') || p_payload), 'hex');
    INSERT INTO ballots_auditevent (
        at, actor_id, actor_name, client_address, action, object_type, object_id, object_repr, election_id,
        before, after, idempotency_key, rows_digest, authentication, prev_hash, hash
    ) VALUES (
        p_at, p_actor_id, p_actor_name, p_client_address, p_action, p_object_type, p_object_id, p_object_repr,
        p_election_id, p_before, p_after, p_idempotency_key, p_rows_digest, p_authentication, event_prev_hash,
        event_hash
    ) RETURNING id INTO event_id;
END;
$$ LANGUAGE plpgsql;
REVOKE ALL ON FUNCTION ballots_auditevent_append(timestamptz, integer, text, inet, text, text, text, text, bigint,
    jsonb, jsonb, text, jsonb, jsonb, bytea) FROM PUBLIC;
"""

# The function of ballots migration 0007, as it was.
RESTORE = """
DROP FUNCTION IF EXISTS ballots_auditevent_append(timestamptz, integer, text, inet, text, text, text, text, bigint,
    jsonb, jsonb, text, jsonb, jsonb, bytea);
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


def create_function(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
    schema_editor.execute(CREATE.format(schema=connection.ops.quote_name(schema)), params=None)


def restore_function(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESTORE, params=None)


def mark_existing_tokens(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    api_token = apps.get_model("trust", "ApiToken")
    audit_event = apps.get_model("trust", "AuditEvent")
    issuers = dict(
        audit_event.objects.filter(action="api_token.issue", actor__isnull=False).values_list("object_id", "actor_id")
    )
    for token in api_token.objects.all():
        token.activated_at = token.created_at
        token.issued_by_id = issuers.get(str(token.pk))
        token.save(update_fields=["activated_at", "issued_by"])


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("trust", "0003_audit_refuses_truncate"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="rows_digest",
            field=models.JSONField(blank=True, null=True, verbose_name="digest of the rows written"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="authentication",
            field=models.JSONField(blank=True, null=True, verbose_name="authentication"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="issued_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="issued by",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="activated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="activated at"),
        ),
        migrations.RunPython(mark_existing_tokens, migrations.RunPython.noop),
        migrations.RunPython(create_function, restore_function),
    ]
