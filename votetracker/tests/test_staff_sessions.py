"""A staff sign-in lasts one working shift (SESSION_HOURS, 12 by default) and ends when the browser closes; public
pages still set no cookie."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_sign_in_ends_with_the_browser_and_after_one_shift(client: Client, clerk: User) -> None:
    response = client.post(reverse("entry:login"), {"username": "clerk", "password": "correct-horse-battery"})
    assert response.status_code == 302

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    # No Max-Age and no Expires: the browser forgets the cookie when it closes.
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    session = Session.objects.get(session_key=cookie.value)
    shift = dt.timedelta(hours=settings.CONFIG.session_hours)
    assert abs(session.expire_date - (dt.datetime.now(dt.UTC) + shift)) < dt.timedelta(minutes=1)
    assert shift == dt.timedelta(hours=12)  # the default, as the tests run


def test_the_session_is_refused_once_the_shift_is_over(client: Client, clerk: User) -> None:
    client.post(reverse("entry:login"), {"username": "clerk", "password": "correct-horse-battery"})
    assert client.get(reverse("entry:home")).status_code == 200
    Session.objects.update(expire_date=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    response = client.get(reverse("entry:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("entry:login"))


def test_public_pages_set_no_cookie(client: Client, election: object) -> None:
    for path in ["/", "/healthz"]:
        response = client.get(path)
        assert response.status_code == 200
        assert not response.cookies
