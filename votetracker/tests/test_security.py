"""Passwords are hashed with Argon2 and repeated failed logins are locked out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from votetracker import settings as production_settings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production_hashers(settings) -> None:
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS


def test_argon2_is_the_first_hasher() -> None:
    assert production_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_passwords_are_hashed_with_argon2() -> None:
    user = User.objects.create_user(username="someone", password="a-long-enough-password")
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


def _login(client: Client, password: str):
    return client.post(
        reverse("admin:login"),
        {"username": "official", "password": password, "next": "/admin/"},
        REMOTE_ADDR="203.0.113.9",
    )


def test_correct_password_signs_in(client: Client, official: User) -> None:
    response = _login(client, "correct-horse-battery")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_login_is_locked_after_five_failures_even_with_the_right_password(client: Client, official: User) -> None:
    for _ in range(5):
        assert _login(client, "wrong-password").status_code in {200, 429}
    locked = _login(client, "correct-horse-battery")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_do_not_lock_the_user_elsewhere(client: Client, official: User) -> None:
    for _ in range(5):
        _login(client, "wrong-password")
    other = Client()
    response = other.post(
        reverse("admin:login"),
        {"username": "official", "password": "correct-horse-battery", "next": "/admin/"},
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
