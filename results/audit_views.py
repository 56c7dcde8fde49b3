"""The public page of signed audit checkpoints: the operator's public key and every checkpoint line, as HTML and as
files to download, so that anyone can keep copies and check published heads against them (``docs/audit.md``)."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from trust.checkpoints import CheckpointKeyError
from trust.published import PublishedKey, read_checkpoint_lines, read_published_checkpoints, read_published_key

logger = logging.getLogger(__name__)

# A new checkpoint is signed every few minutes at most: a shared cache may keep the page this long.
CHECKPOINTS_MAX_AGE = 60


def _configured(name: str) -> Path | None:
    value = getattr(settings, name, None)
    return Path(value) if value else None


def _published_key() -> PublishedKey | None:
    path = _configured("AUDIT_PUBLIC_KEY_FILE")
    if path is None:
        return None
    try:
        return read_published_key(path)
    except (CheckpointKeyError, OSError):
        logger.exception("The audit checkpoints' public key (AUDIT_PUBLIC_KEY_FILE) cannot be read")
        return None


def _checkpoint_lines() -> list[str] | None:
    """The configured file's lines, or None when no file is configured or it cannot be read."""
    path = _configured("AUDIT_CHECKPOINTS_FILE")
    if path is None:
        return None
    try:
        return read_checkpoint_lines(path)
    except OSError:
        logger.exception("The audit checkpoints file (AUDIT_CHECKPOINTS_FILE) cannot be read")
        return None


def _public(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=CHECKPOINTS_MAX_AGE)
    return response


def checkpoints(request: HttpRequest) -> HttpResponse:
    """The published public key and the checkpoints, newest first, each with whether its signature verifies."""
    key = _published_key()
    lines = _checkpoint_lines()
    published = read_published_checkpoints(lines=lines or [], public_key=key.key if key else None)
    context = {"key": key, "configured": lines is not None, "checkpoints": list(reversed(published))}
    return _public(render(request, "results/audit_checkpoints.html", context))


def checkpoints_file(request: HttpRequest) -> HttpResponse:
    """Every checkpoint line, as signed, one JSON object a line."""
    lines = _checkpoint_lines()
    if lines is None:
        raise Http404("No audit checkpoints are published.")
    body = "".join(line + "\n" for line in lines if line.strip())
    response = HttpResponse(body, content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-checkpoints.jsonl"'
    return _public(response)


def public_key_file(request: HttpRequest) -> HttpResponse:
    """The public key (PEM) that verifies the checkpoints."""
    key = _published_key()
    if key is None:
        raise Http404("No public key for the audit checkpoints is published.")
    response = HttpResponse(key.pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="audit-checkpoint.pub"'
    return _public(response)
