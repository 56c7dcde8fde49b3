"""``manage.py flush``, emptying every table on SQLite as it does on PostgreSQL, certified elections included.

The election guards (migration 0003) refuse row by row any change to a certified election. PostgreSQL's flush is a
TRUNCATE, which fires no row trigger, so it empties the database whatever it holds; SQLite's flush is a DELETE per
table, which would fire them and fail on the first certified election (Django's tests flush after each test that
commits). Emptying the whole database is not a change of an election, so on SQLite this command lifts the guards for
the length of its own transaction and puts them back, exactly as they were, before it commits. On PostgreSQL the
audit log refuses TRUNCATE (trust migration 0003); the flush lifts that guard the same way, for its own transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

from trust.audit import audit_log_emptiable

# The triggers of migration 0003.
GUARD_SUFFIXES = ("_guard_insert", "_guard_update", "_guard_delete", "_guard_counting")


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options["database"]
        connection = connections[database]
        if connection.vendor != "sqlite":
            with audit_log_emptiable(using=database):
                super().handle(**options)
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            guards = [
                (name, sql)
                for name, sql in cursor.fetchall()
                if name.startswith("elections_") and name.endswith(GUARD_SUFFIXES)
            ]
            for name, _sql in guards:
                cursor.execute(f'DROP TRIGGER "{name}"')
            super().handle(**options)
            for _name, sql in guards:
                cursor.execute(sql)
