"""Guessing a staff password on the entry login is stopped by django-axes: after five failures for one user from one
address even the right password is refused, with a page that says why and for how long, and the lockout is on record."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

ADDRESS = "203.0.113.77"


def sign_in(client: Client, password: str) -> int:
    response = client.post(reverse("entry:login"), {"username": "clerk", "password": password}, REMOTE_ADDR=ADDRESS)
    return int(response.status_code)


@pytest.mark.django_db
def test_five_failures_lock_the_entry_login_even_for_the_right_password(client: Client, clerk: User) -> None:
    failures = [sign_in(client, f"wrong-guess-{n}") for n in range(5)]
    locked = client.post(
        reverse("entry:login"), {"username": "clerk", "password": "correct-horse-battery"}, REMOTE_ADDR=ADDRESS
    )

    assert failures == [200, 200, 200, 200, 429]  # the form again with its error, then locked on the fifth
    assert locked.status_code == 429
    assert "Signing in is paused" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="clerk", ip_address=ADDRESS)
    assert attempt.failures_since_start >= 5
    # Another address is not locked out for this user.
    assert (
        Client()
        .post(
            reverse("entry:login"),
            {"username": "clerk", "password": "correct-horse-battery"},
            REMOTE_ADDR="198.51.100.8",
        )
        .status_code
        == 302
    )
