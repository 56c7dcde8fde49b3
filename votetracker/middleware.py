"""Request-wide middleware: the proxy's word on HTTPS believed only from a trusted proxy, a request id for logs and
responses, request metrics, the client's address, and a 503 page when the database is down."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.signals import request_finished
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

from trust.http import get_client_address, is_trusted_proxy
from votetracker import metrics
from votetracker.logging import NO_REQUEST, request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# An id from the proxy is kept only when it is short and plain, so that a client cannot write into the logs.
ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# Where Django finds X-Forwarded-Proto; ``SECURE_PROXY_SSL_HEADER`` names it in HTTPS mode.
FORWARDED_PROTO_KEY = "HTTP_X_FORWARDED_PROTO"

GetResponse = Callable[[HttpRequest], Any]
logger = logging.getLogger(__name__)


def choose_request_id(request: HttpRequest) -> str:
    """The proxy's ``X-Request-ID`` when it is well formed, else a new random id."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if ACCEPTED_REQUEST_ID.match(offered) else uuid.uuid4().hex


def forget_request_id(**kwargs: Any) -> None:
    request_id_var.set(NO_REQUEST)


# The id stays set until the response is closed, so that Django's own log line for a 4xx or 5xx, written after the
# middleware returned, still names the request.
request_finished.connect(forget_request_id, dispatch_uid="votetracker.forget_request_id")


def forget_untrusted_forwarded_proto(request: HttpRequest) -> None:
    """Drop ``X-Forwarded-Proto`` (and whatever header ``SECURE_PROXY_SSL_HEADER`` names) from ``request`` unless its
    direct peer is one of ``TRUSTED_PROXIES``."""
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    keys = {FORWARDED_PROTO_KEY, proxy_header[0]} if proxy_header else {FORWARDED_PROTO_KEY}
    if keys.isdisjoint(request.META):
        return
    if not is_trusted_proxy(request.META.get("REMOTE_ADDR"), trusted_proxies=settings.TRUSTED_PROXIES):
        for key in keys:
            request.META.pop(key, None)


class ForwardedProtoMiddleware:
    """Believes ``X-Forwarded-Proto`` only from ``TRUSTED_PROXIES``, like ``X-Forwarded-For``.

    Django's ``SECURE_PROXY_SSL_HEADER`` takes the header from anyone, so a client speaking plain HTTP to a node could
    say "https" and skip the HTTPS redirect; the header is dropped here, before anything asks ``is_secure()``. With
    HTTPS on and no trusted proxy, nothing can say HTTPS, so the proxy's requests would be redirected for ever: a
    warning names the setting at start-up.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        if settings.SECURE_PROXY_SSL_HEADER and not settings.TRUSTED_PROXIES:
            logger.warning(
                "HTTPS is on but TRUSTED_PROXIES is empty: X-Forwarded-Proto is believed from no one, so requests "
                "through the TLS proxy are redirected to HTTPS again and again. Set TRUSTED_PROXIES to its addresses."
            )

    def __call__(self, request: HttpRequest) -> Any:
        forget_untrusted_forwarded_proto(request)
        return self.get_response(request)


class RequestIdMiddleware:
    """Gives each request an id, puts it in every log record written while it runs and on the response."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        request_id = choose_request_id(request)
        request_id_var.set(request_id)
        response: HttpResponseBase = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request_id = choose_request_id(request)
        request_id_var.set(request_id)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        response = await get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestMetricsMiddleware:
    """Counts responses by method and status and times them (no path label: one series per status, not per URL)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        response: HttpResponseBase = self.get_response(request)
        metrics.count_response(request.method or "", response.status_code, time.perf_counter() - started)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        response = await get_response(request)
        metrics.count_response(request.method or "", response.status_code, time.perf_counter() - started)
        return response


class ClientAddressMiddleware:
    """Resolves the client's address once (``trust.http.get_client_address``: ``X-Forwarded-For`` counts only from
    ``TRUSTED_PROXIES``) and leaves it in ``request.META`` for ``/metrics``, whose module sits below the apps and so
    cannot call the helper itself."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        request.META[metrics.CLIENT_ADDRESS_KEY] = get_client_address(request)
        return self.get_response(request)


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """Answers a page whose view lost the database with 503 and a "try again" page, not a 500: the entry was not
    saved, and sending the same form again (same idempotency key) once the database is back records it once.
    The JSON API answers the same case itself (``votetracker.api``). Only ``process_exception``: Django's mixin
    passes every request through without a thread hop."""

    RETRY_AFTER_SECONDS = 5

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        # Only a lost or refused connection is an outage; any other database error is a bug and stays a 500.
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable while serving %s", request.path, exc_info=exception)
        # A template with no tags: rendering must not need the session, the user or the database.
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
