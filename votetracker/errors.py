"""Domain errors raised by services; views turn them into form errors or JSON errors."""

from __future__ import annotations

from typing import Any


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
