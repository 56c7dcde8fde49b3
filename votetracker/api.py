"""The JSON API at /api/v1/: one NinjaAPI (one OpenAPI document) to which each app adds its router.

Every error has the same shape, ``{"error": {"code", "message", "details"}}``, with the right 4xx status.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from trust.errors import DomainError, error_body, status_for
from votetracker import metrics

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="VoteTracker API",
    version="1",
    description="Open election results for everyone; entry for staff. Errors: "
    '`{"error": {"code", "message", "details"}}`.',
    urls_namespace="api",
)


def error_response(
    request: HttpRequest, *, status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": error_body(code=code, message=message, details=details)}, status=status
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    metrics.count_entry_refused(exc.code)
    return error_response(request, status=status_for(exc), code=exc.code, message=exc.message, details=exc.details)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"location": ".".join(str(part) for part in error.get("loc", [])), "message": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return error_response(
        request,
        status=422,
        code="invalid_request",
        message="The request is not valid: " + "; ".join(f"{e['location']}: {e['message']}" for e in errors),
        details={"errors": errors},
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, status=401, code="not_authenticated", message="Sign in or send a valid API token.")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, status=403, code="not_allowed", message=str(exc) or "Not allowed.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, status=404, code="not_found", message=str(exc) or "Not found.")


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # Ninja adds the Retry-After header from the same wait.
    seconds = math.ceil(exc.wait) if exc.wait is not None else None
    metrics.count_entry_refused("rate_limited")
    return error_response(
        request,
        status=429,
        code="rate_limited",
        message=f"Too many requests. Try again in {seconds} seconds." if seconds else "Too many requests. Try again.",
        details={"retry_after": seconds},
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, status=exc.status_code, code="http_error", message=str(exc))


# Only a lost or refused connection is an outage to retry; any other database error is a bug and stays a 500, so
# that a client is never told to send again what can never succeed.
@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_unavailable(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    logger.exception("Database unavailable while serving %s", request.path)
    return error_response(
        request,
        status=503,
        code="service_unavailable",
        message="The database is not answering. Your entry was not saved; send it again with the same key.",
    )


@api.exception_handler(SuspiciousOperation)
def on_suspicious_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return error_response(request, status=413, code="too_large", message="The request body is too large.")
    return error_response(request, status=400, code="bad_request", message="The request could not be read.")


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A bug: logged with its traceback, and answered in the API's shape so that clients can still read it.
    logger.exception("Unexpected error while serving %s", request.path)
    return error_response(
        request, status=500, code="internal_error", message="Something went wrong on our side. It has been logged."
    )


api.add_router("/entry/", "ballots.api.router")
api.add_router("/results/", "results.api.router")
