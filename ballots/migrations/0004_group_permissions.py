"""Let the staff groups read entries. Re-running it only adds what is missing."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ENTRY_MODELS = ["ballot", "ballotvoid", "stationcount", "tallysheet", "turnoutreport"]
# Staff read entries through these; what they may write is decided by the entry services from their assignments.
VIEW_ENTRIES = [f"view_{model}" for model in ENTRY_MODELS]
GROUP_PERMISSIONS: dict[str, list[str]] = {
    "Officials": VIEW_ENTRIES,
    "Supervisors": VIEW_ENTRIES,
    "Clerks": VIEW_ENTRIES,
}


def add_entry_permissions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("ballots")
    app_config.models_module = True  # type: ignore[assignment]
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, codes in GROUP_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        group.permissions.add(*permission_model.objects.filter(content_type__app_label="ballots", codename__in=codes))


def remove_entry_permissions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    permission_model = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS):
        codes = GROUP_PERMISSIONS[group.name]
        group.permissions.remove(
            *permission_model.objects.filter(content_type__app_label="ballots", codename__in=codes)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ballots", "0003_entries"),
        ("elections", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_entry_permissions, remove_entry_permissions)]
