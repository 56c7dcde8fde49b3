"""How the actor of a request signed in, for the audit log: by session, or by API token (and who issued it).

``RequestAuthenticationMiddleware`` opens a record for each request in a context variable and closes it when the
response is ready, under WSGI and ASGI alike; the API's token authentication notes the token on it; and
``record_audit_event`` reads it, so no service has to pass it along. The record is one object shared by every copy of
the context the request runs in (ASGI runs sync code in copies), so what the token check notes is seen where the
event is recorded. Outside a request (a management command, a shell) there is none, and events say nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponseBase

from trust.models import ApiToken

SESSION = "session"
TOKEN = "token"  # noqa: S105 - the name of a sign-in method, not a secret


@dataclass
class RequestAuthentication:
    """The request being served and, once the API accepted one, the token it came with."""

    request: HttpRequest
    token: ApiToken | None = None


_current: ContextVar[RequestAuthentication | None] = ContextVar("request_authentication", default=None)


class RequestAuthenticationMiddleware:
    """Keeps the request's authentication record for the length of the request, and no longer."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._serve_async(request)
        reset = _current.set(RequestAuthentication(request=request))
        try:
            response: HttpResponseBase = self.get_response(request)
        finally:
            _current.reset(reset)
        return response

    async def _serve_async(self, request: HttpRequest) -> HttpResponseBase:
        reset = _current.set(RequestAuthentication(request=request))
        try:
            response: HttpResponseBase = await self.get_response(request)
        finally:
            _current.reset(reset)
        return response


def note_token_authentication(api_token: ApiToken) -> None:
    """Say that the current request was authenticated with ``api_token`` (outside a request this does nothing)."""
    current = _current.get()
    if current is not None:
        current.token = api_token


def describe_authentication(actor: User | None) -> dict[str, str | None] | None:
    """How ``actor`` signed in for the current request: ``{"method": "token", "token_prefix", "token_issued_by"}``
    when the API accepted their token, ``{"method": "session"}`` when they are the request's signed-in user; None
    outside a request or when ``actor`` is neither."""
    current = _current.get()
    if current is None or actor is None:
        return None
    token = current.token
    if token is not None and token.user_id == actor.pk:
        issuer = token.issued_by
        return {
            "method": TOKEN,
            "token_prefix": token.prefix,
            "token_issued_by": issuer.get_username() if issuer is not None else None,
        }
    user = getattr(current.request, "user", None)
    if user is not None and user.is_authenticated and user.pk == actor.pk:
        return {"method": SESSION}
    return None
