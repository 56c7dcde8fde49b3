"""An idempotency record keeps whether the write made a new entry instead of the HTTP status it was answered with.

The entry API answered 201 for a new entry and 200 for a decision about existing ones, so a stored 201 becomes
``created = True``, any other answer ``False``, and a key claimed without an answer (0) stays empty. Going back
restores those statuses.
"""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def status_to_created(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    record = apps.get_model("trust", "IdempotencyRecord")
    record.objects.filter(response_status=201).update(created=True)
    record.objects.exclude(response_status__in=[0, 201]).update(created=False)


def created_to_status(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    record = apps.get_model("trust", "IdempotencyRecord")
    record.objects.filter(created=True).update(response_status=201)
    record.objects.filter(created=False).update(response_status=200)
    record.objects.filter(created__isnull=True).update(response_status=0)


class Migration(migrations.Migration):
    dependencies = [("trust", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="created",
            field=models.BooleanField(null=True, verbose_name="created"),
        ),
        migrations.RunPython(status_to_created, created_to_status),
        # A default only for the way back: re-adding the column must give the rows a value before they are filled.
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="response_status",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="response status"),
        ),
        migrations.RemoveField(model_name="idempotencyrecord", name="response_status"),
    ]
