"""Process-level endpoints: liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def _check_redis() -> str | None:
    from django_redis import get_redis_connection

    try:
        get_redis_connection("default").ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach Redis means "not ready"
        return f"redis unreachable: {exc.__class__.__name__}"
    return None


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database and, where configured, Redis answer; 503 naming what is down otherwise."""
    checks: dict[str, str] = {}
    problems: dict[str, str] = {}
    if (problem := _check_database()) is None:
        checks["database"] = "ok"
    else:
        problems["database"] = problem
    if settings.CONFIG.redis_url:
        if (problem := _check_redis()) is None:
            checks["redis"] = "ok"
        else:
            problems["redis"] = problem
    if problems:
        return JsonResponse(
            {"status": "unavailable", "checks": {**checks, **dict.fromkeys(problems, "down")}, "down": problems},
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": checks})
