"""What every app relies on to be held to account: the audit log, the answers kept under idempotency keys, and the
API tokens staff use."""

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
    # Per entry row the event wrote ("ballots.tallysheet:12"), the digest of the row and its child rows as the event
    # left them (``trust.rows``); empty on events that wrote no entry row and on events older than the field.
    rows_digest = models.JSONField(_("digest of the rows written"), null=True, blank=True)
    # How the actor signed in for the request that made the change: {"method": "session"}, or {"method": "token",
    # "token_prefix", "token_issued_by"} (``trust.authentication``); empty outside a request and on older events.
    authentication = models.JSONField(_("authentication"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        # The table keeps the name it had in the ballots app: existing databases, the audit trigger and the
        # append function (ballots migrations 0002 and 0007) go on working unchanged.
        db_table = "ballots_auditevent"
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr}"


class IdempotencyRecord(models.Model):
    """The first answer to a write, kept under the client's key so a replay gets it back and changes nothing."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.PROTECT, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=128)
    operation = models.CharField(_("operation"), max_length=64)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    # Whether the write made a new entry (the API answers 201) or decided about existing ones (200); empty only
    # while the key is claimed and the write is under way, inside its transaction.
    created = models.BooleanField(_("created"), null=True)
    response_body = models.JSONField(_("response body"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        # The table keeps the name it had in the ballots app: existing databases, the audit trigger and the
        # append function (ballots migrations 0002 and 0007) go on working unchanged.
        db_table = "ballots_idempotencyrecord"
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            # The database, not a check in Python, makes two concurrent requests with one key write once.
            models.UniqueConstraint(fields=["actor", "key"], name="idempotency_key_unique_per_actor")
        ]

    def __str__(self) -> str:
        return f"{self.actor_id}:{self.key}"


class ApiToken(models.Model):
    """A personal API token, issued by an official. Only a SHA-256 hash of the secret is kept; ``prefix`` finds it.

    A token an official issues for someone else is pending (no ``activated_at``, no secret) until its holder, signed
    in, activates it and is shown the secret: nobody but the holder ever sees a secret that acts as them.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. the device using it."))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        # Like an audit event's actor: whoever issued a token stays named.
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        # The table keeps the name it had in the ballots app: existing databases, the audit trigger and the
        # append function (ballots migrations 0002 and 0007) go on working unchanged.
        db_table = "ballots_apitoken"
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.activated_at is not None

    @property
    def is_pending(self) -> bool:
        """Issued for its holder by someone else and not yet activated (nor revoked)."""
        return self.revoked_at is None and self.activated_at is None
