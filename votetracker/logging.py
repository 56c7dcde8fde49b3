"""Logs: one JSON object a line in server mode, each carrying the request id, with secrets taken out.

Passwords, tokens, session ids and the ``Authorization`` and ``Cookie`` headers must never reach a log, whatever the
code that logs: the redaction runs on the handler, so it covers every logger (Django's, the libraries', ours).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"
NO_REQUEST = "-"

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)

# Names of things whose value is a secret: password=…, "token": "…", Cookie: …, sessionid=…, csrftoken=….
CREDENTIAL_NAMES = (
    r"[\w-]*(?:password|passwd|secret|token|api[_-]?key|session[_-]?(?:id|key)|csrf[\w-]*|authorization|cookie)[\w-]*"
)
# Credentials after an authentication scheme (``Authorization: Bearer …``); short words after them are prose.
_SCHEME_CREDENTIALS = re.compile(r"\b((?i:bearer)|Basic|Token|Digest)\s+[\w.~+/=-]{8,}")
_NAMED_SECRET = re.compile(
    rf"""(?ix)
    (?P<name>["']?{CREDENTIAL_NAMES}["']?)   # the name, maybe quoted as in JSON or a dict's repr
    (?P<sep>\s*[:=]\s*)
    (?P<quote>["'])?
    (?P<value>(?(quote)[^"']*|[^\s"'&,;)}}\]]+))
    """
)
_SECRET_KEY = re.compile(rf"(?i)^{CREDENTIAL_NAMES}$")
# Attributes every LogRecord has; anything else was passed in ``extra``.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# Extras that are never written: Django's request objects carry headers, cookies and query strings.
_NEVER_WRITTEN = {"request", "scope", "headers", "environ"}


def redact(text: str) -> str:
    """``text`` with every credential and secret-looking value replaced by ``[redacted]``."""
    text = _SCHEME_CREDENTIALS.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _NAMED_SECRET.sub(lambda m: f"{m.group('name')}{m.group('sep')}{m.group('quote') or ''}{REDACTED}", text)


def _redact_value(key: str, value: Any) -> Any:
    if _SECRET_KEY.match(key):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return redact(repr(value))


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Rewrites the message, the traceback and the extras of a record so that no secret is left in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key in set(vars(record)) - _RECORD_ATTRIBUTES - _NEVER_WRITTEN:
            setattr(record, key, _redact_value(key, getattr(record, key)))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, traceback, and simple extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        for key in sorted(set(vars(record)) - _RECORD_ATTRIBUTES - _NEVER_WRITTEN):
            value = getattr(record, key)
            entry[key] = value if isinstance(value, str | bool | int | float) or value is None else repr(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def logging_config(*, json_format: bool, level: str) -> dict[str, Any]:
    """The ``LOGGING`` setting: everything to standard error through one handler that adds the request id and
    redacts secrets, as JSON lines (server mode) or readable text (embedded mode)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "votetracker.logging.RequestIdFilter"},
            "redact_secrets": {"()": "votetracker.logging.RedactSecretsFilter"},
        },
        "formatters": {
            "json": {"()": "votetracker.logging.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["request_id", "redact_secrets"],
                "formatter": "json" if json_format else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own handlers would write a second, unredacted copy of server errors.
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "axes": {"level": "WARNING"},
        },
    }
