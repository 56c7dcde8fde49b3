"""``manage.py seed_demo``: load the fictional Riverland election and its demo staff accounts."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from elections.demo import DEMO_ELECTION_SLUG, DemoSeedResult, seed_demo, summarise_election
from elections.demo_regional import REGIONAL_ELECTION_NAME, REGIONAL_ELECTION_SLUG


class Command(BaseCommand):
    help = (
        "Load the fictional Riverland Municipal Election 2026 (a draft) with one demo account per staff role. "
        "Running it again changes nothing. The demo passwords are public: never run this on a real election's database."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only load the demo when the database holds no election at all.",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site answers, for the addresses printed at the end (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_demo(only_if_empty=options["if_empty"])
        self._report_election(result, if_empty=options["if_empty"])
        self._report_logins(result, base_url=options["base_url"].rstrip("/"))

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
        for outcome in result.accounts:
            account = outcome.account
            if outcome.created:
                note = ""
            elif outcome.exists:
                note = "  (existing account: its password was left as it is)"
            else:
                note = "  (no such account in this database)"
            self.stdout.write(f"  {account.username:<11} {account.password:<22} {account.role}{note}")
        self.stdout.write("")
        self.stdout.write(f"Public site:     {base_url}/")
        self.stdout.write(f"Administration:  {base_url}/admin/")
