"""Small request helpers shared by views and admin actions."""

from __future__ import annotations

from django.http import HttpRequest


def get_client_address(request: HttpRequest) -> str | None:
    """The address the request came from, for the audit log (the proxy in front sets REMOTE_ADDR correctly)."""
    return request.META.get("REMOTE_ADDR") or None
