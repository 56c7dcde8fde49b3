"""Personal API tokens: issuing and revoking them, and authenticating API requests by token or by session."""

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
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from trust.audit import record_audit_event
from trust.models import ApiToken

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


def issue_api_token(
    *, user: User, name: str, issued_by: User, client_address: str | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its secret, which is shown once and never stored in clear."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    token = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_token = ApiToken.objects.create(
            user=user, name=name, prefix=prefix, secret_hash=hash_secret(token), created_at=timezone.now()
        )
        record_audit_event(
            action="api_token.issue",
            obj=api_token,
            actor=issued_by,
            after={"user": user.get_username(), "name": name, "prefix": prefix},
            client_address=client_address,
        )
    return api_token, token


def revoke_api_tokens(*, tokens: Iterable[ApiToken], revoked_by: User, client_address: str | None = None) -> int:
    """Revoke the given tokens that are still active; return how many were revoked."""
    revoked = 0
    with transaction.atomic():
        for api_token in tokens:
            if api_token.revoked_at is not None:
                continue
            api_token.revoked_at = timezone.now()
            api_token.save(update_fields=["revoked_at"])
            record_audit_event(
                action="api_token.revoke",
                obj=api_token,
                actor=revoked_by,
                before={"prefix": api_token.prefix, "revoked": False},
                after={"prefix": api_token.prefix, "revoked": True},
                client_address=client_address,
            )
            revoked += 1
    return revoked


def find_token_user(token: str) -> User | None:
    """The active user holding this active token, or None."""
    prefix = _split_token(token)
    if prefix is None:
        return None
    # get(), not first(): the prefix is unique, and first() would sort by the model's ordering for nothing.
    try:
        api_token = ApiToken.objects.select_related("user").get(prefix=prefix, revoked_at__isnull=True)
    except ApiToken.DoesNotExist:
        return None
    if not hmac.compare_digest(api_token.secret_hash, hash_secret(token)):
        return None
    if not api_token.user.is_active:
        return None
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token.user


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``. A token that is sent but unknown or revoked is refused outright (401)."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = find_token_user(token.strip())
        if user is None:
            raise AuthenticationError()
        return user


class ActiveSessionAuth(SessionAuth):
    """Django's session (with its CSRF check on writes), for the entry site's own pages."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if isinstance(user, User) and user.is_authenticated and user.is_active:
            return user
        return None


ENTRY_AUTH = [ApiTokenAuth(), ActiveSessionAuth()]
