"""``manage.py seed_demo``: load the fictional Riverland election and its demo staff accounts; ``--reset`` starts the
demo afresh.

A reset deletes the SQLite file and builds a new one (migrate, then seed), instead of deleting the demo's rows: ballots,
tally sheets and audit events are never deleted by VoteTracker, and a certified election's rows cannot be, so a
demo taken apart row by row would leave its history behind. A new file is what the demo was on its first run. On
PostgreSQL, whose audit log refuses UPDATE, DELETE and TRUNCATE, the command refuses: dropping a server database is
its administrator's decision, not a demo command's.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from elections.demo import (
    DEMO_ELECTION_SLUG,
    DemoSeedResult,
    list_demo_clerk_station_codes,
    list_non_demo_data,
    seed_demo,
    summarise_election,
)
from elections.demo_data import DEMO_CLERK_USERNAME
from elections.demo_regional import REGIONAL_ELECTION_NAME, REGIONAL_ELECTION_SLUG
from votetracker.private_files import keep_sqlite_file_private

# The files SQLite keeps beside a database while it is open: its rollback journal, or its write-ahead log and index.
SQLITE_COMPANIONS = ("-journal", "-wal", "-shm")


class Command(BaseCommand):
    help = (
        "Load the fictional Riverland Municipal Election 2026 (a draft) with one demo account per staff role. "
        "Running it again changes nothing; --reset starts the demo afresh. The demo passwords are public: never run "
        "this on a real election's database."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        when = parser.add_mutually_exclusive_group()
        when.add_argument(
            "--if-empty",
            action="store_true",
            help="Only load the demo when the database holds no election at all.",
        )
        when.add_argument(
            "--reset",
            action="store_true",
            help="Start the demo afresh: delete the SQLite database file (entries, audit log, sessions and all), "
            "migrate a new one and load the demo into it. Stop the server first. Refused on PostgreSQL, and when the "
            "database holds elections or accounts that are not the demo's, unless --force.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="With --reset: delete the database even when it holds elections or accounts that are not the demo's.",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site answers, for the addresses printed at the end (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["force"] and not options["reset"]:
            raise CommandError("--force only goes with --reset.")
        if options["reset"]:
            self._reset_database(force=options["force"])
        result = seed_demo(only_if_empty=options["if_empty"])
        self._report_election(result, if_empty=options["if_empty"])
        self._report_logins(result, base_url=options["base_url"].rstrip("/"))

    def _reset_database(self, *, force: bool) -> None:
        """Delete the SQLite file after checking that only the demo lives in it, then migrate a new, empty one."""
        connection = connections[DEFAULT_DB_ALIAS]
        path = _sqlite_file(connection.settings_dict)
        if path is None:
            raise CommandError(
                "seed_demo --reset only resets a SQLite database file, as `make run` uses; this database is "
                f"{connection.display_name} ({connection.settings_dict.get('NAME')}). Its audit log is append-only, so "
                "the demo cannot be taken out of it: to start afresh, drop and create the database, then run "
                "`manage.py migrate` and `manage.py seed_demo`."
            )
        others = list_non_demo_data()
        if others and not force:
            shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
            raise CommandError(
                f"{path} holds more than the demo ({shown}); --reset would delete it with the rest. Nothing was "
                "changed. Back the file up or move it away, or add --force to delete it all the same."
            )
        connections.close_all()
        for each in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
            each.unlink(missing_ok=True)
        # The new file is made owner-only before SQLite opens it, as at start-up: it will hold password hashes.
        keep_sqlite_file_private(connection.settings_dict)
        ContentType.objects.clear_cache()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Deleted {path} and migrated a new database; loading the demo afresh."))
        self.stdout.write(
            "Restart a server that was running (`make run`): its memory still holds the old demo's results."
        )

    def _report_election(self, result: DemoSeedResult, *, if_empty: bool) -> None:
        if result.created and result.election is not None:
            counts = summarise_election(result.election)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the demo election “{result.election.name}” ({DEMO_ELECTION_SLUG}): "
                    f"{counts['districts']} districts, {counts['stations']} polling stations, "
                    f"{counts['parties']} parties, {counts['contests']} contests, {counts['candidates']} candidates."
                )
            )
            self.stdout.write("It is a draft: sign in as the official to review it and open it for entry.")
            self.stdout.write(
                f"Beside it, “{REGIONAL_ELECTION_NAME}” ({REGIONAL_ELECTION_SLUG}) shows votes by type, undervotes and "
                "overvotes, write-ins, a ballot measure and a district made of precincts of two townships."
            )
        elif result.election is not None:
            self.stdout.write(f"The demo election {DEMO_ELECTION_SLUG} already exists; nothing was changed.")
        elif if_empty:
            self.stdout.write("The database already holds an election; the demo was not loaded.")

    def _report_logins(self, result: DemoSeedResult, *, base_url: str) -> None:
        self.stdout.write("")
        self.stdout.write("Demo logins (demo only: these passwords are public, never use them for a real election):")
        clerk_stations = list_demo_clerk_station_codes()
        for outcome in result.accounts:
            account = outcome.account
            if outcome.created:
                note = ""
            elif outcome.exists:
                note = "  (existing account: its password was left as it is)"
            else:
                note = "  (no such account in this database)"
            self.stdout.write(f"  {account.username:<11} {account.password:<22} {base_url}{account.home}{note}")
            what = account.role
            if account.username == DEMO_CLERK_USERNAME and clerk_stations:
                what += f": {', '.join(clerk_stations)}"
            self.stdout.write(f"  {'':<34} {what}")
        self.stdout.write("")
        self.stdout.write(f"Public site:     {base_url}/")
        self.stdout.write(f"Administration:  {base_url}/admin/")
        self.stdout.write(f"Entry site:      {base_url}/entry/")
        self.stdout.write(
            "An election night, once the official has opened the election and published its results "
            "(the clerk's boxes are left for the clerk):"
        )
        self.stdout.write(
            f"  .venv/bin/python manage.py simulate --election {DEMO_ELECTION_SLUG} --rate 5 --duration 60 "
            f"--url {base_url}"
        )
        self.stdout.write("Start the demo afresh: stop the server, then `make demo-reset` (or `seed_demo --reset`).")


def _sqlite_file(database: dict[str, Any]) -> Path | None:
    """The file of a SQLite database, or None for PostgreSQL and in-memory SQLite."""
    name = str(database.get("NAME") or "")
    if database["ENGINE"] != "django.db.backends.sqlite3" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)
