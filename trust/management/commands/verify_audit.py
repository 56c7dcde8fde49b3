"""``manage.py verify_audit``: check the audit log's hash chain from its first event to its last, that every entry row
is as the latest event that wrote it left it, and, given signed checkpoints and their public key, that the log still
holds every head they signed. The checkpoints and the key may be files or http(s) addresses (an observer's copy, or
the site's own ``/audit/checkpoints.jsonl``)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trust.audit import find_chain_breaks
from trust.checkpoints import CheckpointKeyError, CheckpointReport, check_checkpoints, parse_public_key
from trust.models import AuditEvent
from trust.rows import check_entry_rows

# A checkpoint line is ~300 bytes: this is decades of checkpoints every minute, and refuses an endless answer.
MAX_DOWNLOAD = 64 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30


def read_source(source: str | Path) -> bytes:
    """The bytes of a file, or of an http(s) address; OSError (with the source named) when neither can be read."""
    source = str(source)
    if not source.startswith(("http://", "https://")):
        return Path(source).read_bytes()
    try:
        # Only http(s) reaches here: the scheme was checked above.
        with urllib.request.urlopen(source, timeout=DOWNLOAD_TIMEOUT) as response:  # noqa: S310
            body: bytes = response.read(MAX_DOWNLOAD + 1)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise OSError(f"{source} cannot be downloaded: {getattr(error, 'reason', error)}") from None
    if len(body) > MAX_DOWNLOAD:
        raise OSError(f"{source} is larger than {MAX_DOWNLOAD} bytes")
    return body


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain and that no entry row changed without an event; exits non-zero naming the "
        "first event that does not verify and the first row no event wrote. With "
        "--checkpoints and --public-key, also verify each checkpoint's signature and that the log still holds the "
        "head it signed, naming each checkpoint that catches a rewrite, a truncation or a restored older copy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints", help="File or http(s) address of checkpoint lines (manage.py audit_checkpoint)."
        )
        parser.add_argument(
            "--public-key",
            help="File or http(s) address of the Ed25519 public key (PEM) the checkpoints verify with: take it from "
            "a source other than the site whose log you check.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Strings from the command line, or paths from call_command.
        checkpoints: str | Path | None = options["checkpoints"]
        public_key_path: str | Path | None = options["public_key"]
        if (checkpoints is None) != (public_key_path is None):
            raise CommandError("--checkpoints and --public-key go together.")
        total = AuditEvent.objects.count()
        problems: list[str] = []
        chain_break = find_chain_breaks()
        if chain_break is not None:
            problems.append(f"Audit event #{chain_break.event_id} does not verify: {chain_break.reason}.")
        problems += self._check_rows()
        report = None
        if checkpoints is not None and public_key_path is not None:
            report = self._check(checkpoints, public_key_path)
            problems += [f"{checkpoints} line {failure.line} fails: {failure.reason}." for failure in report.failures]
        if problems:
            raise CommandError("\n".join(problems))
        message = f"Audit log verified: {total} event(s), chain intact."
        if report is not None:
            latest = max(report.verified, key=lambda head: head.event_id)
            uncovered = AuditEvent.objects.filter(id__gt=latest.event_id).count()
            message += (
                f" {len(report.verified)} checkpoint(s) hold; the latest covers event #{latest.event_id}, "
                f"{uncovered} event(s) after it are not yet covered by a checkpoint."
            )
        self.stdout.write(self.style.SUCCESS("Entry rows verified: each is as the latest event that wrote it left it."))
        self.stdout.write(self.style.SUCCESS(message))

    def _check_rows(self) -> list[str]:
        report = check_entry_rows()
        problems: list[str] = []
        if report.changed:
            first = report.changed[0]
            problems.append(
                f"Audit event #{first.event_id} does not verify: rows changed without an event "
                f"({first.row} and its child rows no longer match its digest; {len(report.changed)} row(s) in all)."
            )
        if report.unaudited:
            problems.append(
                f"Rows written without an event: no audit event wrote {report.unaudited[0]} "
                f"({len(report.unaudited)} row(s) in all)."
            )
        return problems

    def _check(self, checkpoints: str | Path, public_key_path: str | Path) -> CheckpointReport:
        try:
            public_key = parse_public_key(read_source(public_key_path), source=str(public_key_path))
            lines = read_source(checkpoints).decode().splitlines()
        except (CheckpointKeyError, OSError, UnicodeDecodeError) as error:
            raise CommandError(str(error)) from None
        report = check_checkpoints(lines=lines, public_key=public_key)
        if not report.verified and not report.failures:
            raise CommandError(f"{checkpoints} holds no checkpoint: there is nothing to verify the log against.")
        return report
