"""``manage.py migrate``, as the owning role when ``MIGRATION_DATABASE_URL`` is set.

The application then connects as ``DATABASE_URL``'s role, which must not own the tables (it could alter the audit
table and lift its guards). Migrations need the owner, so this command connects as it, migrates, and grants the
application's role again, so that tables the migrations created are its to use too (``trust.database_roles``).
With ``--create-app-role`` a missing application role is created first, with ``DATABASE_URL``'s password, so that a
new deployment (docker-compose.yml) or one upgraded to separate roles needs no step by hand. Without
``MIGRATION_DATABASE_URL`` it is Django's ``migrate``, unchanged.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.commands import migrate
from django.db import connections

from trust.database_roles import DatabaseRoleError, connected_as_owner, grant_app_role, role_exists


class Command(migrate.Command):
    help = f"{migrate.Command.help} With MIGRATION_DATABASE_URL set, runs as that role, then grants DATABASE_URL's."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--create-app-role",
            action="store_true",
            help="With MIGRATION_DATABASE_URL set: create DATABASE_URL's role, with its password, if it is missing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = options["database"]
        app_settings = connections[database].settings_dict
        app_role, app_password = app_settings.get("USER") or "", app_settings.get("PASSWORD") or ""
        create = bool(options.get("create_app_role"))
        with connected_as_owner(using=database) as as_owner:
            if create and not as_owner:
                raise CommandError("--create-app-role needs MIGRATION_DATABASE_URL, the owner to create the role as.")
            super().handle(*args, **options)
            if not as_owner:
                return
            if not create and not role_exists(app_role, using=database):
                self.stderr.write(
                    f"The application's role {app_role!r} does not exist yet: create it, then run "
                    f"`manage.py grant_app_role --role {app_role}` (or migrate with --create-app-role)."
                )
                return
            try:
                grant_app_role(role=app_role, create=create, password=app_password, using=database)
            except DatabaseRoleError as error:
                raise CommandError(str(error)) from None
        if options["verbosity"] > 0:
            self.stdout.write(f"  Granted the application's role {app_role!r} the use of the tables.")
