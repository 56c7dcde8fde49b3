"""The audit log, idempotency records and API tokens move from the ballots app to trust, the bottom layer.

Only Django's idea of which app holds them changes: the tables keep their names, rows, trigger and append function,
so an existing database loses nothing. Their content types (and so the staff groups' permissions on them) are
relabelled to the new app.
"""

import django.db.models.deletion
from django.apps.registry import Apps
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

MOVED_MODELS = ["auditevent", "idempotencyrecord", "apitoken"]


def relabel_content_types(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        if not content_type.objects.filter(app_label="trust", model=model).exists():
            content_type.objects.filter(app_label="ballots", model=model).update(app_label="trust")


def restore_content_types(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        if not content_type.objects.filter(app_label="ballots", model=model).exists():
            content_type.objects.filter(app_label="trust", model=model).update(app_label="ballots")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        # The tables were made by these; this app only takes them over.
        ("ballots", "0007_audit_append_function"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                help_text="What the token is for, e.g. the device using it.",
                                max_length=100,
                                verbose_name="name",
                            ),
                        ),
                        ("prefix", models.CharField(editable=False, max_length=16, unique=True, verbose_name="prefix")),
                        ("secret_hash", models.CharField(editable=False, max_length=64, verbose_name="secret hash")),
                        ("created_at", models.DateTimeField(editable=False, verbose_name="created at")),
                        (
                            "last_used_at",
                            models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last used at"),
                        ),
                        (
                            "revoked_at",
                            models.DateTimeField(blank=True, editable=False, null=True, verbose_name="revoked at"),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="api_tokens",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "API token",
                        "verbose_name_plural": "API tokens",
                        "db_table": "ballots_apitoken",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("at", models.DateTimeField(db_index=True, verbose_name="time")),
                        ("actor_name", models.CharField(blank=True, max_length=150, verbose_name="actor name")),
                        (
                            "client_address",
                            models.GenericIPAddressField(blank=True, null=True, verbose_name="client address"),
                        ),
                        ("action", models.CharField(db_index=True, max_length=64, verbose_name="action")),
                        ("object_type", models.CharField(max_length=64, verbose_name="object type")),
                        ("object_id", models.CharField(max_length=64, verbose_name="object id")),
                        ("object_repr", models.CharField(max_length=200, verbose_name="object")),
                        (
                            "election_id",
                            models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name="election id"),
                        ),
                        ("before", models.JSONField(blank=True, null=True, verbose_name="before")),
                        ("after", models.JSONField(blank=True, null=True, verbose_name="after")),
                        (
                            "idempotency_key",
                            models.CharField(blank=True, max_length=128, verbose_name="idempotency key"),
                        ),
                        ("prev_hash", models.CharField(max_length=64, verbose_name="previous hash")),
                        ("hash", models.CharField(max_length=64, unique=True, verbose_name="hash")),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="audit_events",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="actor",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "audit event",
                        "verbose_name_plural": "audit log",
                        "db_table": "ballots_auditevent",
                        "ordering": ["id"],
                        "indexes": [models.Index(fields=["object_type", "object_id"], name="audit_object")],
                    },
                ),
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=128, verbose_name="idempotency key")),
                        ("operation", models.CharField(max_length=64, verbose_name="operation")),
                        ("fingerprint", models.CharField(max_length=64, verbose_name="request fingerprint")),
                        ("response_status", models.PositiveSmallIntegerField(verbose_name="response status")),
                        ("response_body", models.JSONField(verbose_name="response body")),
                        ("created_at", models.DateTimeField(verbose_name="created at")),
                        (
                            "actor",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="actor",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "idempotency record",
                        "verbose_name_plural": "idempotency records",
                        "db_table": "ballots_idempotencyrecord",
                        "constraints": [
                            models.UniqueConstraint(fields=("actor", "key"), name="idempotency_key_unique_per_actor")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, restore_content_types),
    ]
