"""``manage.py verify_audit_head``: check the audit head a downloaded results snapshot or NIST export carries against
signed checkpoints, with no database: what an observer runs on the copies they kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from results.nist import read_audit_head
from trust.checkpoints import ChainHead, CheckpointKeyError, load_public_key
from trust.published import HeadCheck, check_head_against_checkpoints


def describe_head_check(head: ChainHead, check: HeadCheck) -> str:
    """What a check that found no contradiction shows about ``head``, and how strongly."""
    named = f"The head (event #{head.event_id}, {head.count} event(s), hash {head.hash})"
    if check.signed_by:
        return f"{named} is the one signed on line {check.signed_by}: the operator vouched for this very log."
    if check.before and check.after:
        return (
            f"{named} lies between the checkpoints on lines {check.before} and {check.after} and agrees with both; "
            "only a copy of the database shows that it is on their chain (verify_audit --checkpoints)."
        )
    if check.before:
        return (
            f"{named} is newer than every checkpoint and agrees with the latest (line {check.before}); check it "
            "again once a later checkpoint is published."
        )
    return f"{named} is older than every checkpoint and agrees with the earliest (line {check.after})."


class Command(BaseCommand):
    help = (
        "Check the audit log head in a downloaded results snapshot, live frame or NIST export (--head-from) against "
        "signed checkpoints (--checkpoints, --public-key), without the database: every signature must verify and no "
        "checkpoint may contradict the head. Exits non-zero naming each line that does not hold."
    )
    # An observer runs this on their own machine, with no database or server configured.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--head-from", type=Path, required=True, help="The downloaded snapshot or export (JSON).")
        parser.add_argument("--checkpoints", type=Path, required=True, help="The checkpoint lines (JSON lines).")
        parser.add_argument("--public-key", type=Path, required=True, help="The public key (PEM) they verify with.")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["head_from"]
        try:
            document = json.loads(source.read_text())
            public_key = load_public_key(options["public_key"])
            lines = options["checkpoints"].read_text().splitlines()
        except (OSError, ValueError, CheckpointKeyError) as error:
            raise CommandError(str(error)) from None
        found = read_audit_head(document) if isinstance(document, dict) else None
        if found is None:
            raise CommandError(f"{source} carries no audit head (a snapshot's audit_head, or an export's identifiers).")
        head = ChainHead(event_id=found["event_id"], hash=found["hash"], count=found["count"])
        check = check_head_against_checkpoints(head=head, lines=lines, public_key=public_key)
        if check.failures:
            raise CommandError(
                "\n".join(f"{options['checkpoints']} line {f.line} fails: {f.reason}." for f in check.failures)
            )
        if not check.checkpoints:
            raise CommandError(
                f"{options['checkpoints']} holds no checkpoint: there is nothing to check the head against."
            )
        self.stdout.write(self.style.SUCCESS(describe_head_check(head, check)))
