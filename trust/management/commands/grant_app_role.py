"""``manage.py grant_app_role --role NAME``: let the application connect as ``NAME``, a role that reads and writes the
data but does not own the audit table (see ``trust.database_roles``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trust.database_roles import DatabaseRoleError, connected_as_owner, grant_app_role


class Command(BaseCommand):
    help = (
        "Grant the application's PostgreSQL role what it needs: read and write every table, read the audit log and "
        "append to it through its function, and nothing more (it cannot alter, drop, disable triggers on or empty "
        "the audit table). Runs as MIGRATION_DATABASE_URL's owner when that is set; running it again is harmless."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, help="The role the application connects as (DATABASE_URL).")
        parser.add_argument(
            "--create", action="store_true", help="Create the role (able to log in, no password yet) if it is missing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role: str = options["role"]
        try:
            with connected_as_owner():
                statements = grant_app_role(role=role, create=options["create"])
        except DatabaseRoleError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] > 1:
            for statement in statements:
                self.stdout.write(statement)
        message = f"Role {role!r} may now use the data; the audit table stays its owner's."
        if statements[0].startswith("CREATE ROLE"):
            message += f" It has no password yet: set one with ALTER ROLE {role} PASSWORD '…' (psql's \\password)."
        self.stdout.write(self.style.SUCCESS(message))
