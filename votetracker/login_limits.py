"""Login limits beyond django-axes' own lockout: a per-username pause with backoff.

django-axes locks a username at one address after 5 wrong passwords, for 15 minutes. Alone, that lets an attacker
with many addresses guess one clerk's password without end. So the passwords tried for a username from every address
together are counted too: once ``USERNAME_GUESS_LIMIT`` fall in the lockout window, the username is refused
everywhere for a pause after each guess that doubles, from ``FIRST_PAUSE`` up to ``LONGEST_PAUSE``.

Why this cannot be turned against a clerk:
- the limit is higher than one address may ever reach (5 guesses, then that address is locked out for 15 minutes), so
  no single attacker can make the username pause for anyone;
- attempts refused during a lockout or a pause are not guesses and count for nothing
  (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``): hammering does not lengthen the pause;
- the pause is short and ends at most ``LONGEST_PAUSE`` after the last guess, so a clerk gets in soon after an
  attack stops; meanwhile an attack spread over any number of addresses gets about 14 guesses per 15 minutes.

Both limits count axes' records (``AccessAttempt``), so ``manage.py axes_reset_username <name>`` lifts both at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

USERNAME_GUESS_LIMIT = 10
FIRST_PAUSE = dt.timedelta(minutes=1)
LONGEST_PAUSE = dt.timedelta(minutes=15)


def username_pause(*, guesses: int) -> dt.timedelta:
    """How long a username is refused after its latest guess, given the guesses counted in the window."""
    if guesses < USERNAME_GUESS_LIMIT:
        return dt.timedelta(0)
    doublings = min(guesses - USERNAME_GUESS_LIMIT, 16)
    return min(FIRST_PAUSE * 2**doublings, LONGEST_PAUSE)


def username_paused_until(*, username: str, now: dt.datetime, window: dt.timedelta) -> dt.datetime | None:
    """When the pause of ``username`` ends, or None when it is not paused. Counts the wrong passwords axes recorded
    for it from every address in the last ``window``."""
    recent = AccessAttempt.objects.filter(username=username, attempt_time__gte=now - window).aggregate(
        guesses=Sum("failures_since_start"), latest=Max("attempt_time")
    )
    guesses, latest = recent["guesses"] or 0, recent["latest"]
    pause = username_pause(guesses=guesses)
    if latest is None or not pause or now >= latest + pause:
        return None
    return latest + pause


class LoginLimitsHandler(AxesDatabaseHandler):
    """django-axes' database handler, which also refuses a username that is paused (see the module's docstring)."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        username = get_client_username(request, credentials)
        if not username:
            return False
        window = get_cool_off(request) or LONGEST_PAUSE
        return username_paused_until(username=username, now=timezone.now(), window=window) is not None


def sign_in_paused_until(request: HttpRequest, credentials: dict[str, Any] | None = None) -> dt.datetime | None:
    """When a sign-in refused by either limit may be tried again: the later end of the address's lockout and of the
    username's pause, or None when neither holds (the refused person is told how long to wait, not a guess)."""
    now = timezone.now()
    cool_off = get_cool_off(request) or LONGEST_PAUSE
    ends: list[dt.datetime] = []
    failure_limit = get_failure_limit(request, credentials)
    for attempts in LoginLimitsHandler().filter_user_attempts(request, credentials):
        recent = attempts.filter(attempt_time__gte=now - cool_off).aggregate(
            failures=Sum("failures_since_start"), latest=Max("attempt_time")
        )
        if (recent["failures"] or 0) >= failure_limit and recent["latest"] is not None:
            ends.append(recent["latest"] + cool_off)
    username = get_client_username(request, credentials)
    if username and (paused := username_paused_until(username=username, now=now, window=cool_off)) is not None:
        ends.append(paused)
    return max((end for end in ends if end > now), default=None)
