"""``manage.py audit_checkpoint``: sign the audit log's head with the operator's key and print the checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from trust.audit import find_chain_breaks
from trust.checkpoints import CheckpointKeyError, check_checkpoints, load_private_key, read_chain_head, sign_checkpoint
from trust.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Sign the audit log's head (last event id, its hash, the event count, the time) with an Ed25519 private "
        "key and print the checkpoint as one JSON line, appending it to --out if given. Refuses when the chain "
        "does not verify or the log contradicts a checkpoint already in --out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key", type=Path, required=True, help="The Ed25519 private key (PEM) to sign with.")
        parser.add_argument("--out", type=Path, help="File of checkpoint lines to append this one to.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            private_key = load_private_key(options["key"])
        except CheckpointKeyError as error:
            raise CommandError(str(error)) from None
        out: Path | None = options["out"]
        head = read_chain_head()
        # Never sign a head that is already wrong: a signature would make a rewritten log look vouched for.
        chain_break = find_chain_breaks(AuditEvent.objects.filter(id__lte=head.event_id).order_by("id").iterator())
        if chain_break is not None:
            raise CommandError(
                f"Not signed: audit event #{chain_break.event_id} does not verify: {chain_break.reason}."
            )
        if out is not None and out.exists():
            report = check_checkpoints(lines=out.read_text().splitlines(), public_key=private_key.public_key())
            if report.failures:
                first = report.failures[0]
                raise CommandError(f"Not signed: {out} line {first.line} does not hold: {first.reason}.")
        line = sign_checkpoint(head=head, private_key=private_key, at=timezone.now())
        if out is not None:
            with out.open("a") as file:
                file.write(line + "\n")
        self.stdout.write(line)
