"""Process-level endpoints: liveness and readiness probes for load balancers and orchestrators; and the pages that
refuse a request (sign-in paused, not allowed, form expired, server error) in the site's layout."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from trust.roles import CLERKS_GROUP, SUPERVISORS_GROUP, is_official
from votetracker.login_limits import LONGEST_PAUSE, sign_in_paused_until


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


def sign_in_paused(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """django-axes' answer to a refused sign-in (``AXES_LOCKOUT_CALLABLE``): 429, how many minutes are left, and
    what to do meanwhile."""
    until = sign_in_paused_until(request, credentials)
    wait = until - timezone.now() if until is not None else get_cool_off(request) or LONGEST_PAUSE
    minutes = max(1, math.ceil(wait / dt.timedelta(minutes=1)))
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
    add_never_cache_headers(response)
    return response


def _role_name(user: User) -> str | None:
    """The user's staff role in words, the strongest first; None for an account with no role."""
    if is_official(user):
        return _("official")
    names = set(user.groups.filter(name__in=[SUPERVISORS_GROUP, CLERKS_GROUP]).values_list("name", flat=True))
    if SUPERVISORS_GROUP in names:
        return _("supervisor")
    if CLERKS_GROUP in names:
        return _("clerk")
    return None


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler403``: whose role does not allow the page, and where they can go. The exception's text is not shown:
    it is written for the log, and may say more than the person should read."""
    user = request.user
    signed_in = isinstance(user, User) and user.is_authenticated
    role = _role_name(user) if isinstance(user, User) and signed_in else None
    login = reverse("entry:login")
    context = {
        "signed_in": signed_in,
        "role": role,
        "is_staff_member": role is not None,
        "sign_in_again_url": f"{login}?{urlencode({'next': request.get_full_path()})}",
    }
    return render(request, "403.html", context, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form came back without a valid token. Says, in plain words, that nothing was recorded
    and how to send it again; the technical reason stays out of the page."""
    referer = request.headers.get("referer", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    user = getattr(request, "user", None)
    context = {
        "form_url": referer if referer and same_site else None,
        "signed_in": bool(user is not None and user.is_authenticated),
    }
    response = render(request, "403_csrf.html", context, status=403)
    add_never_cache_headers(response)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the site's layout, in the visitor's language, without the request's context processors (the
    session, the user or the database may be what failed)."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"LANGUAGES": settings.LANGUAGES}))
