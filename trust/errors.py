"""Domain errors raised by services; views turn them into form errors or JSON errors (with the API's one error
body and status, defined here so that any app can use them without importing the API object)."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class DomainError(Exception):
    """A request the rules refuse. ``code`` is stable for API clients; ``message`` is for people."""

    code = "rejected"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class NotAllowed(DomainError):
    """The acting user may not do this."""

    code = "not_allowed"


class EntryRejected(DomainError):
    """The entry breaks a rule (its numbers, the election's status, a conflict)."""

    code = "entry_rejected"


class TransitionRefused(DomainError):
    """An election cannot move to the requested status or visibility."""

    code = "transition_refused"


# A reused or racing idempotency key is a conflict with an earlier request, not a malformed one.
CONFLICT_CODES = {"idempotency_conflict"}


def error_body(*, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error body of the API, for a whole response or for one refused item of a batch."""
    return {"code": code, "message": message, "details": details or {}}


def status_for(error: DomainError) -> int:
    """The HTTP status that answers a refusal by the rules."""
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, TransitionRefused) or error.code in CONFLICT_CODES:
        return 409
    if isinstance(error, EntryRejected):
        return 422
    return 400


class ErrorBody(Schema):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(Schema):
    """The body of every error the API answers: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorBody


# 400: a body that is not JSON at all; 422: JSON that does not fit the schema or the rules.
ERRORS: dict[int, type[Schema]] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), ErrorOut)
