"""Entries made by staff, and the audit log behind every change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One change, appended and never edited: who, when, from where, what before and after.

    Each event's ``hash`` is SHA-256 over a canonical encoding of its fields plus the previous event's hash, so an
    edited, inserted or deleted row breaks the chain (``manage.py verify_audit``). On PostgreSQL a trigger refuses
    UPDATE and DELETE on the table.
    """

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        # An account with history cannot be deleted, only deactivated: the log must keep naming it.
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    election_id = models.BigIntegerField(_("election id"), null=True, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr}"
