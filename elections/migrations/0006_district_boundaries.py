"""District boundaries for the results maps (``DistrictBoundary``): part of an election's configuration, so the
database keeps them final once the election is certified, like the districts themselves (migration 0003)."""

from importlib import import_module

import django.db.models.deletion
from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

guards = import_module("elections.migrations.0003_certified_is_final")

ELECTION_OF_NEW_ROW = {
    "elections_districtboundary": "(SELECT election_id FROM elections_district WHERE id = {row}.district_id)",
}


def add_guards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        statements = guards.postgresql_table_guards(ELECTION_OF_NEW_ROW)
    else:
        statements = guards.sqlite_table_guards(ELECTION_OF_NEW_ROW)
    for statement in statements:
        schema_editor.execute(statement, params=None)


def remove_guards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in guards.drop_table_guards(schema_editor.connection.vendor, list(ELECTION_OF_NEW_ROW)):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0005_staff_permissions_for_areas_and_vote_types"),
    ]

    operations = [
        migrations.CreateModel(
            name="DistrictBoundary",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "coordinates",
                    models.JSONField(
                        help_text="The polygons of a GeoJSON MultiPolygon: rings of [longitude, latitude].",
                        verbose_name="coordinates",
                    ),
                ),
                ("west", models.FloatField(verbose_name="west")),
                ("south", models.FloatField(verbose_name="south")),
                ("east", models.FloatField(verbose_name="east")),
                ("north", models.FloatField(verbose_name="north")),
                ("positions", models.PositiveIntegerField(verbose_name="positions kept")),
                ("source_positions", models.PositiveIntegerField(verbose_name="positions in the file")),
                ("digest", models.CharField(max_length=64, verbose_name="digest")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "district",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="boundary",
                        to="elections.district",
                        verbose_name="district",
                    ),
                ),
            ],
            options={
                "verbose_name": "district boundary",
                "verbose_name_plural": "district boundaries",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("east__lte", 180), ("west__gte", -180), ("west__lte", models.F("east"))),
                        name="district_boundary_longitudes",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("north__lte", 90), ("south__gte", -90), ("south__lte", models.F("north"))),
                        name="district_boundary_latitudes",
                    ),
                ],
            },
        ),
        migrations.RunPython(add_guards, remove_guards),
    ]
