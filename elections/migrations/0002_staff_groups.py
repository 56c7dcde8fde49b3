"""Create the staff groups with their permissions. Re-running it only adds what is missing."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ELECTION_MODELS = ["election", "district", "pollingstation", "party", "contest", "candidate"]
ASSIGNMENT_MODELS = ["clerkassignment", "supervisorassignment"]

GROUP_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    "Officials": [
        *[
            ("elections", f"{verb}_{model}")
            for model in ELECTION_MODELS + ASSIGNMENT_MODELS
            for verb in ("add", "change", "delete", "view")
        ],
        ("ballots", "view_auditevent"),
        ("auth", "add_user"),
        ("auth", "change_user"),
        ("auth", "view_user"),
        ("auth", "view_group"),
    ],
    "Supervisors": [("elections", f"view_{model}") for model in ELECTION_MODELS],
    "Clerks": [("elections", f"view_{model}") for model in ["election", "pollingstation", "contest", "candidate"]],
}


def create_staff_groups(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_label in ("auth", "elections", "ballots"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True  # type: ignore[assignment]
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, codes in GROUP_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        for app_label, codename in codes:
            permission = permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            group.permissions.add(permission)


def remove_staff_groups(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0001_initial"),
        ("ballots", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_staff_groups, remove_staff_groups)]
