"""Personal API tokens: issuing, activating and revoking them, and authenticating API requests by token or by session.

An official issues a token for themselves (a superuser for anyone) and is shown its secret once. A token for someone
else is only pending: it has no secret until its holder, signed in, activates it and is shown the secret once. So no
official ever holds a secret that acts as somebody else, and every event recorded with a token names who issued it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from trust.audit import record_audit_event
from trust.authentication import note_token_authentication
from trust.errors import EntryRejected, NotAllowed
from trust.models import ApiToken
from trust.roles import is_official, require_official, require_user

# Tokens start "vt_" so a leaked one is recognisable (e.g. by secret scanners).
SCHEME = "vt"
PREFIX_LENGTH = 12
# Recording every use would write on every request; a minute is precise enough to see which tokens are in use.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def hash_secret(token: str) -> str:
    """SHA-256 of the whole token: tokens are long random strings, so a slow hash adds nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def _split_token(token: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != SCHEME or len(parts[1]) != PREFIX_LENGTH:
        return None
    return parts[1]


def _new_secret(prefix: str) -> str:
    return f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"


def may_issue_active_token(*, issuer: User, user: User) -> bool:
    """Whether ``issuer`` may issue ``user`` a token that works at once (and so see its secret): for themselves, or
    a superuser for anyone. Anyone else's token is offered to them (``offer_api_token``)."""
    return issuer.pk == user.pk or issuer.is_superuser


def _create_token(*, user: User, name: str, issuer: User, secret: str | None, client_address: str | None) -> ApiToken:
    prefix = secret.split("_")[1] if secret is not None else secrets.token_hex(PREFIX_LENGTH // 2)
    now = timezone.now()
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            # A pending token has no secret, so nothing can match it.
            secret_hash=hash_secret(secret) if secret is not None else "",
            created_at=now,
            issued_by=issuer,
            activated_at=now if secret is not None else None,
        )
        record_audit_event(
            action="api_token.issue",
            obj=api_token,
            actor=issuer,
            after={"user": user.get_username(), "name": name, "prefix": prefix, "pending": secret is None},
            client_address=client_address,
        )
    return api_token


def issue_api_token(
    *, user: User, name: str, issued_by: User, client_address: str | None = None
) -> tuple[ApiToken, str]:
    """An official issues a working token for themselves, or a superuser for anyone; it is returned with its secret,
    to be shown once and never stored in clear. A token for anyone else is offered instead (``offer_api_token``)."""
    issuer = require_official(issued_by, message=_("Only an official can issue API tokens."))
    if not may_issue_active_token(issuer=issuer, user=user):
        raise NotAllowed(_("A token for someone else waits for them to activate it: only they may see its secret."))
    secret = _new_secret(secrets.token_hex(PREFIX_LENGTH // 2))
    return _create_token(user=user, name=name, issuer=issuer, secret=secret, client_address=client_address), secret


def offer_api_token(*, user: User, name: str, issued_by: User, client_address: str | None = None) -> ApiToken:
    """An official issues a token for ``user`` that waits, with no secret, until ``user`` activates it
    (``activate_api_token``) and is alone shown its secret."""
    issuer = require_official(issued_by, message=_("Only an official can issue API tokens."))
    return _create_token(user=user, name=name, issuer=issuer, secret=None, client_address=client_address)


def activate_api_token(*, api_token: ApiToken, user: User, client_address: str | None = None) -> tuple[ApiToken, str]:
    """The holder of a pending token activates it and gets its secret, to be shown to them once."""
    holder = require_user(user)
    with transaction.atomic():
        # Under a row lock: two activations at once must not both hand out a secret.
        locked = ApiToken.objects.select_for_update().get(pk=api_token.pk)
        if locked.user_id != holder.pk:
            raise NotAllowed(_("Only the person a token is for can activate it."))
        if not locked.is_pending:
            raise EntryRejected(_("This token is not waiting to be activated."), code="token_not_pending")
        secret = _new_secret(locked.prefix)
        locked.secret_hash, locked.activated_at = hash_secret(secret), timezone.now()
        locked.save(update_fields=["secret_hash", "activated_at"])
        record_audit_event(
            action="api_token.activate",
            obj=locked,
            actor=holder,
            before={"prefix": locked.prefix, "pending": True},
            after={"prefix": locked.prefix, "pending": False},
            client_address=client_address,
        )
    return locked, secret


def revoke_api_tokens(*, tokens: Iterable[ApiToken], revoked_by: User, client_address: str | None = None) -> int:
    """Revoke the given tokens that are not revoked yet (pending ones too); return how many were revoked. An official
    may revoke any token, anyone else only their own (a holder declining a token they did not ask for)."""
    revoker = require_user(revoked_by)
    revoked = 0
    with transaction.atomic():
        for api_token in tokens:
            if api_token.user_id != revoker.pk and not is_official(revoker):
                raise NotAllowed(_("Only an official can revoke someone else's token."))
            if api_token.revoked_at is not None:
                continue
            api_token.revoked_at = timezone.now()
            api_token.save(update_fields=["revoked_at"])
            record_audit_event(
                action="api_token.revoke",
                obj=api_token,
                actor=revoker,
                before={"prefix": api_token.prefix, "revoked": False},
                after={"prefix": api_token.prefix, "revoked": True},
                client_address=client_address,
            )
            revoked += 1
    return revoked


def list_tokens_of(*, user: User) -> list[ApiToken]:
    """``user``'s tokens, newest first, with who issued each."""
    return list(ApiToken.objects.filter(user=user).select_related("issued_by").order_by("-created_at"))


def find_token_of(*, user: User, token_id: int) -> ApiToken | None:
    """One of ``user``'s tokens by id; None when there is no such token or it is someone else's."""
    return ApiToken.objects.filter(user=user, pk=token_id).select_related("issued_by").first()


def find_active_token(token: str) -> ApiToken | None:
    """The activated, unrevoked token with this secret, held by an active user; None otherwise."""
    prefix = _split_token(token)
    if prefix is None:
        return None
    # get(), not first(): the prefix is unique, and first() would sort by the model's ordering for nothing.
    try:
        api_token = ApiToken.objects.select_related("user", "issued_by").get(
            prefix=prefix, revoked_at__isnull=True, activated_at__isnull=False
        )
    except ApiToken.DoesNotExist:
        return None
    if not hmac.compare_digest(api_token.secret_hash, hash_secret(token)):
        return None
    if not api_token.user.is_active:
        return None
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token


def find_token_user(token: str) -> User | None:
    """The active user holding this active token, or None."""
    api_token = find_active_token(token)
    return api_token.user if api_token is not None else None


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``. A token that is sent but unknown, pending or revoked is refused outright
    (401). An accepted one is noted for the audit log: events of this request say which token, issued by whom."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = find_active_token(token.strip())
        if api_token is None:
            raise AuthenticationError()
        note_token_authentication(api_token)
        return api_token.user


class ActiveSessionAuth(SessionAuth):
    """Django's session (with its CSRF check on writes), for the entry site's own pages."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if isinstance(user, User) and user.is_authenticated and user.is_active:
            return user
        return None


ENTRY_AUTH = [ApiTokenAuth(), ActiveSessionAuth()]
