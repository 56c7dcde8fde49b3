"""The project's URLs plus one view that fails the way careless code does: it logs what it was sent, then raises
with a header in the message. The logs must still hold no secret."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path

from votetracker.urls import urlpatterns as project_urlpatterns

logger = logging.getLogger("votetracker.tests.careless")


def fail_carelessly(request: HttpRequest) -> HttpResponse:
    logger.warning("Cannot handle %s %s with %r", request.method, dict(request.headers), request.POST.dict())
    raise RuntimeError(f"refused credentials {request.headers.get('Authorization')} and {request.COOKIES}")


urlpatterns = [path("fail-carelessly", fail_carelessly), *project_urlpatterns]
