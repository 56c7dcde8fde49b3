"""Let officials issue, revoke and list API tokens in the admin. Re-running it only adds what is missing."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TOKEN_PERMISSIONS = ["add_apitoken", "change_apitoken", "view_apitoken"]


def grant_token_permissions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("ballots")
    app_config.models_module = True  # type: ignore[assignment]
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name="Officials")
    permission_model = apps.get_model("auth", "Permission")
    group.permissions.add(
        *permission_model.objects.filter(content_type__app_label="ballots", codename__in=TOKEN_PERMISSIONS)
    )


def withdraw_token_permissions(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    permission_model = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Officials"):
        group.permissions.remove(
            *permission_model.objects.filter(content_type__app_label="ballots", codename__in=TOKEN_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ballots", "0005_api_token"),
        ("elections", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_token_permissions, withdraw_token_permissions)]
