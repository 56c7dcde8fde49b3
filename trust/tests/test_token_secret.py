"""A new API token's secret is shown to the official who issued it for themselves once, in the page that answers the
form: never in a cookie (the messages cookie is signed, not encrypted), never in the session, never again afterwards.
(A token for someone else is shown only to its holder: test_token_confirmation.)"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.http import HttpResponseBase
from django.test import Client, RequestFactory

from trust.models import ApiToken
from trust.tokens import find_token_user

pytestmark = pytest.mark.django_db
SECRET = re.compile(r"vt_[0-9a-f]{12}_[A-Za-z0-9_\-]+")


def cookie_texts(response: HttpResponseBase) -> list[str]:
    """Every Set-Cookie header, and what the messages cookie decodes to (its value is compressed)."""
    texts = [morsel.OutputString() for morsel in response.cookies.values()]
    if "messages" in response.cookies:
        reader = RequestFactory().get("/")
        reader.COOKIES["messages"] = response.cookies["messages"].value
        texts += [str(message) for message in CookieStorage(reader)]
    return texts


def test_the_official_sees_the_secret_once_and_no_cookie_carries_it(client: Client, official: User) -> None:
    client.force_login(official)
    response = client.post("/admin/trust/apitoken/add/", {"user": str(official.pk), "name": "tablet 7"})

    assert response.status_code == 200
    found = SECRET.search(response.content.decode())
    assert found is not None
    secret = found.group(0)
    token = ApiToken.objects.get()
    assert find_token_user(secret) == official
    assert "no-store" in response["Cache-Control"]
    assert not any(secret in text for text in cookie_texts(response))
    assert not any(secret in str(session.get_decoded()) for session in Session.objects.all())

    # Every page after that one: the list, the token itself, and whatever the next request brings along.
    for path in ["/admin/", "/admin/trust/apitoken/", f"/admin/trust/apitoken/{token.pk}/change/"]:
        later = client.get(path)
        assert later.status_code == 200
        assert secret not in later.content.decode()
        assert not any(secret in text for text in cookie_texts(later))


def test_the_page_with_the_secret_offers_the_way_back(client: Client, official: User) -> None:
    client.force_login(official)
    page = client.post("/admin/trust/apitoken/add/", {"user": str(official.pk), "name": "tablet 8"}).content.decode()
    assert 'href="/admin/trust/apitoken/"' in page
    assert "shown only this once" in page
