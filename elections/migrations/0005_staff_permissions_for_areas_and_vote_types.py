"""Let officials configure electoral districts and vote types in the admin, as they configure the rest of an
election; supervisors and clerks may read them. Re-running it only adds what is missing."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

MODELS = ["electoraldistrict", "votetype"]
GROUP_PERMISSIONS: dict[str, list[str]] = {
    "Officials": [f"{verb}_{model}" for model in MODELS for verb in ("add", "change", "delete", "view")],
    "Supervisors": [f"view_{model}" for model in MODELS],
    # A clerk's tally sheet gives the votes per vote type.
    "Clerks": ["view_votetype"],
}


def grant_permissions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("elections")
    app_config.models_module = True  # type: ignore[assignment]
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    permission_model = apps.get_model("auth", "Permission")
    for group_name, codenames in GROUP_PERMISSIONS.items():
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=group_name)
        group.permissions.add(
            *permission_model.objects.filter(content_type__app_label="elections", codename__in=codenames)
        )


def withdraw_permissions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    permission_model = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS):
        group.permissions.remove(
            *permission_model.objects.filter(
                content_type__app_label="elections", codename__in=GROUP_PERMISSIONS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0004_real_election_shapes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_permissions, withdraw_permissions)]
