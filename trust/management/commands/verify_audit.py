"""``manage.py verify_audit``: check the audit log's hash chain from its first event to its last."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trust.audit import find_chain_breaks
from trust.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero naming the first event that does not verify."

    def handle(self, *args: Any, **options: Any) -> None:
        total = AuditEvent.objects.count()
        chain_break = find_chain_breaks()
        if chain_break is not None:
            raise CommandError(f"Audit event #{chain_break.event_id} does not verify: {chain_break.reason}.")
        self.stdout.write(self.style.SUCCESS(f"Audit log verified: {total} event(s), chain intact."))
