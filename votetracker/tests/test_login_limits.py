"""Login limits: per address (django-axes, 5 wrong passwords) with the client's real address, not one it chose, and
per username across all addresses, a short pause with backoff that no single attacker can trigger."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from votetracker.login_limits import FIRST_PAUSE, LONGEST_PAUSE, USERNAME_GUESS_LIMIT, username_pause

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
NGINX = "172.31.240.5"


def sign_in(password: str, address: str, forwarded_for: str | None = None) -> int:
    headers: dict[str, Any] = {"REMOTE_ADDR": address}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    response = Client().post(reverse("entry:login"), {"username": "clerk", "password": password}, **headers)
    return int(response.status_code)


def guesses_counted() -> int:
    return int(AccessAttempt.objects.filter(username="clerk").aggregate(n=Sum("failures_since_start"))["n"] or 0)


@pytest.fixture
def behind_nginx(settings: Any) -> None:
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("172.31.240.0/24"),)


def test_a_client_cannot_escape_the_lockout_by_sending_another_forwarded_address(clerk: User) -> None:
    statuses = [sign_in(f"wrong-{n}", "203.0.113.9", forwarded_for=f"198.51.100.{n}") for n in range(8)]
    assert statuses == [200, 200, 200, 200, 429, 429, 429, 429]
    assert sign_in(PASSWORD, "203.0.113.9", forwarded_for="192.0.2.1") == 429


def test_behind_a_trusted_proxy_each_client_is_locked_out_on_its_own(clerk: User, behind_nginx: None) -> None:
    assert [sign_in(f"wrong-{n}", NGINX, forwarded_for="198.51.100.7") for n in range(5)] == [200] * 4 + [429]
    assert sign_in(PASSWORD, NGINX, forwarded_for="198.51.100.7") == 429
    # Another client through the same proxy is not the locked-out one.
    assert sign_in(PASSWORD, NGINX, forwarded_for="198.51.100.8") == 302
    # A forwarded address the client wrote itself, left of what nginx saw, changes nothing.
    assert sign_in(PASSWORD, NGINX, forwarded_for="198.51.100.8, 198.51.100.7") == 429


def test_guesses_from_many_addresses_pause_the_username_everywhere(clerk: User) -> None:
    addresses = [f"198.51.100.{n // 4}" for n in range(USERNAME_GUESS_LIMIT)]  # four guesses each, under 5
    assert {sign_in(f"wrong-{n}", address) for n, address in enumerate(addresses)} == {200}
    assert sign_in(PASSWORD, "192.0.2.44") == 429
    # Attempts refused during the pause are not guesses: they neither count nor lengthen it.
    assert [sign_in("another-guess", f"192.0.2.{n}") for n in range(5)] == [429] * 5
    assert guesses_counted() == USERNAME_GUESS_LIMIT


def test_the_pause_ends_and_doubles_with_each_further_guess(clerk: User) -> None:
    for n in range(USERNAME_GUESS_LIMIT):
        sign_in(f"wrong-{n}", f"198.51.100.{n // 4}")
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - FIRST_PAUSE - dt.timedelta(seconds=1))
    # The first pause is over: the next guess is tried (and wrong), and the pause after it is twice as long.
    assert sign_in("one-more-guess", "192.0.2.1") == 200
    assert sign_in(PASSWORD, "192.0.2.2") == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - 2 * FIRST_PAUSE + dt.timedelta(seconds=5))
    assert sign_in(PASSWORD, "192.0.2.2") == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - 2 * FIRST_PAUSE - dt.timedelta(seconds=1))
    assert sign_in(PASSWORD, "192.0.2.2") == 302


def test_one_address_alone_never_locks_the_clerk_out_elsewhere(clerk: User) -> None:
    # Locked out after five, then hammering on: none of it reaches the per-username limit.
    statuses = [sign_in(f"wrong-{n}", "203.0.113.66") for n in range(4 * USERNAME_GUESS_LIMIT)]
    assert statuses[4:] == [429] * (len(statuses) - 4)
    assert guesses_counted() == 5 < USERNAME_GUESS_LIMIT
    assert sign_in(PASSWORD, "198.51.100.20") == 302


def test_the_pause_grows_from_a_minute_to_at_most_fifteen() -> None:
    pauses = [username_pause(guesses=USERNAME_GUESS_LIMIT + extra) for extra in range(-1, 8)]
    minutes = [pause / dt.timedelta(minutes=1) for pause in pauses]
    assert minutes == [0, 1, 2, 4, 8, 15, 15, 15, 15]
    assert max(pauses) == LONGEST_PAUSE
    assert username_pause(guesses=10_000) == LONGEST_PAUSE
