"""Liveness and readiness probes answered before the host name is checked.

Container health checks and load balancers call a node by its address (``127.0.0.1:8000``, ``10.0.3.7:8000``),
which is never in ``ALLOWED_HOSTS`` in production; Django would answer 400 and the node would never be marked
healthy. Only these two read-only paths skip the check; every other request still goes through it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from votetracker import views

PROBES: dict[str, Callable[[HttpRequest], HttpResponseBase]] = {"/healthz": views.healthz, "/readyz": views.readyz}


class ProbeMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        probe = PROBES.get(request.path_info)
        if self.is_async:
            return self._acall(request, probe)
        return probe(request) if probe else self.get_response(request)

    async def _acall(
        self, request: HttpRequest, probe: Callable[[HttpRequest], HttpResponseBase] | None
    ) -> HttpResponseBase:
        if probe:
            return await sync_to_async(probe)(request)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        return await get_response(request)
