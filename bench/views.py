"""The trivial page the result pages are compared with: no database, no template, the same number of bytes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def sized(request: HttpRequest, size: int) -> HttpResponse:
    return HttpResponse(b"x" * size, content_type="text/html; charset=utf-8")
