"""``manage.py verify_tallies [--election SLUG]``: recount from the database and compare with what is served."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError, CommandParser

from elections.models import Election
from results.services import current_version, snapshot_key
from results.tallies import build_snapshot, compare_snapshots


class Command(BaseCommand):
    help = "Recount each election from the database and list every difference with the served (cached) results."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", metavar="SLUG", help="check only this election")

    def handle(self, *args: Any, **options: Any) -> None:
        elections = Election.objects.order_by("slug")
        if options["election"]:
            elections = elections.filter(slug=options["election"])
            if not elections.exists():
                raise CommandError(f"No election with the slug {options['election']!r}.")
        failures = 0
        for election in elections:
            served = cache.get(snapshot_key(election.slug))
            if served is None:
                self.stdout.write(f"{election.slug}: nothing cached; it will be rebuilt from the database when read.")
                continue
            expected = build_snapshot(election=election, version=current_version(election_id=election.pk))
            differences = compare_snapshots(expected, served)
            if served["version"] > expected["version"]:
                differences.append(
                    f"version: served {served['version']} is ahead of the database {expected['version']}"
                )
            if differences:
                failures += 1
                self.stdout.write(f"{election.slug}: {len(differences)} difference(s) in version {served['version']}:")
                for line in differences:
                    self.stdout.write(f"  {line}")
            else:
                self.stdout.write(f"{election.slug}: served version {served['version']} equals a recount.")
        if failures:
            raise CommandError(f"{failures} election(s) serve results that differ from a recount.")
