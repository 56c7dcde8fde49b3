"""The pages that refuse a request speak the site's language, in its layout: a wrong password says only that; a paused
sign-in answers 429 with the minutes actually left; a role that may not see a page gets a 403 that says so and where
to go; an expired form says nothing was recorded; 404, 500 and 503 keep the layout, and 500 needs no database."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path, reverse
from django.utils import timezone

from votetracker import views
from votetracker.login_limits import USERNAME_GUESS_LIMIT
from votetracker.urls import urlpatterns as project_urlpatterns

PASSWORD = "correct-horse-battery"
ADDRESS = "203.0.113.50"
SECRET_DETAIL = "internal-detail-4f1c"


def refuse_with_a_detail(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(f"refused because of {SECRET_DETAIL}")


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def lose_the_database(request: HttpRequest) -> HttpResponse:
    raise OperationalError("connection refused")


# The project's URLs and handlers, plus views that refuse or fail, for the handlers to answer.
urlpatterns = [
    path("refuse-with-a-detail/", refuse_with_a_detail),
    path("fail/", fail),
    path("lose-the-database/", lose_the_database),
    *project_urlpatterns,
]
handler403 = "votetracker.views.permission_denied"
handler500 = "votetracker.views.server_error"


@pytest.fixture
def failing_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__


def sign_in(client: Client, password: str, address: str = ADDRESS) -> Any:
    return client.post(reverse("entry:login"), {"username": "clerk", "password": password}, REMOTE_ADDR=address)


def templates_of(response: Any) -> list[str]:
    return [template.name for template in response.templates]


def text_of(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def assert_in_the_site_layout(response: Any) -> None:
    page = response.content.decode()
    assert '<main id="main"' in page
    assert 'class="language-switcher"' in page
    assert f'action="{reverse("set_language")}"' in page


# Staff login


@pytest.mark.django_db
def test_a_wrong_password_says_only_that_the_username_or_password_is_wrong(client: Client, clerk: User) -> None:
    response = sign_in(client, "wrong-guess")

    assert response.status_code == 200
    assert "ballots/login.html" in templates_of(response)
    text = text_of(response)
    assert "Wrong username or password. Check both and sign in again." in text
    assert "The entry was not recorded" not in text
    assert re.search(r'<div class="form-errors" role="alert" tabindex="-1" id="form-errors" autofocus>', response.text)
    assert response.text.index('id="form-errors"') < response.text.index('id="id_username"')
    assert "<title>Error: Sign in" in response.text
    # What was typed stays, except the password.
    assert 'value="clerk"' in response.text
    assert "wrong-guess" not in response.text


@pytest.mark.django_db
def test_an_empty_sign_in_points_at_the_fields_without_speaking_of_an_entry(client: Client, clerk: User) -> None:
    response = client.post(reverse("entry:login"), {"username": "", "password": ""}, REMOTE_ADDR=ADDRESS)

    assert response.status_code == 200
    text = text_of(response)
    assert "Fill in the fields marked below." in text
    assert "Wrong username or password" not in text
    assert "The entry was not recorded" not in text


@pytest.mark.django_db
def test_the_fifth_wrong_password_pauses_sign_in_with_a_page_in_the_site_layout(client: Client, clerk: User) -> None:
    statuses = [sign_in(client, f"wrong-{n}").status_code for n in range(4)]
    paused = sign_in(client, "wrong-4")

    assert statuses == [200] * 4
    assert paused.status_code == 429
    assert "429.html" in templates_of(paused)
    assert_in_the_site_layout(paused)
    text = text_of(paused)
    assert "Signing in is paused" in text
    assert "You can sign in again in 15 minutes." in text
    assert "ask your supervisor or an election official" in text
    assert int(paused["Retry-After"]) == 15 * 60
    assert "no-store" in paused["Cache-Control"]
    # The right password during the pause is refused the same way, and signs no one in.
    refused = sign_in(client, PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_paused_page_says_the_minutes_left_not_the_whole_cool_off(client: Client, clerk: User) -> None:
    for n in range(5):
        sign_in(client, f"wrong-{n}")
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=11, seconds=30))

    refused = sign_in(client, PASSWORD)

    assert refused.status_code == 429
    assert "You can sign in again in 4 minutes." in text_of(refused)
    assert 3 * 60 < int(refused["Retry-After"]) <= 4 * 60


@pytest.mark.django_db
def test_a_username_paused_from_many_addresses_says_its_own_shorter_pause(clerk: User) -> None:
    for n in range(USERNAME_GUESS_LIMIT):
        sign_in(Client(), f"wrong-{n}", address=f"198.51.100.{n // 4}")

    refused = sign_in(Client(), PASSWORD, address="192.0.2.44")

    assert refused.status_code == 429
    # One minute: the per-username pause, in the singular, not the per-address lockout of 15.
    assert "You can sign in again in 1 minute." in text_of(refused)
    assert 0 < int(refused["Retry-After"]) <= 60


@pytest.mark.django_db
def test_the_paused_page_in_arabic_reads_right_to_left(client: Client, clerk: User) -> None:
    client.cookies["django_language"] = "ar"
    for n in range(5):
        paused = sign_in(client, f"wrong-{n}")

    assert paused.status_code == 429
    assert '<html lang="ar" dir="rtl">' in paused.text
    assert_in_the_site_layout(paused)


# Not allowed


@pytest.mark.django_db
def test_a_clerk_at_the_review_queue_is_told_their_role_does_not_allow_it(client: Client, clerk: User) -> None:
    client.force_login(clerk)

    response = client.get(reverse("entry:review_queue"))

    assert response.status_code == 403
    assert templates_of(response)[:2] == ["403.html", "base.html"]
    assert_in_the_site_layout(response)
    text = text_of(response)
    assert "This page is not open to you" in text
    assert "You are signed in as clerk. Your role (clerk) does not allow this page." in text
    assert f'href="{reverse("entry:home")}"' in response.text
    assert f'href="{reverse("elections:home")}"' in response.text
    assert f'action="{reverse("entry:logout")}"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text
    assert 'name="next" value="/entry/login/?next=%2Fentry%2Freview%2F"' in response.text
    assert reverse("admin:index") not in response.text


@pytest.mark.django_db
def test_signing_in_as_someone_else_from_the_403_page_comes_back_to_the_same_page(
    client: Client, clerk: User, supervisor: User
) -> None:
    client.force_login(clerk)
    client.get(reverse("entry:review_queue"))

    signed_out = client.post(reverse("entry:logout"), {"next": "/entry/login/?next=%2Fentry%2Freview%2F"})
    assert signed_out.status_code == 302
    assert signed_out["Location"] == "/entry/login/?next=%2Fentry%2Freview%2F"
    assert "_auth_user_id" not in client.session
    signed_in = client.post(
        signed_out["Location"], {"username": "supervisor", "password": PASSWORD, "next": "/entry/review/"}
    )
    assert signed_in["Location"] == "/entry/review/"


@pytest.mark.django_db
def test_a_clerk_refused_an_officials_page_is_not_told_why_in_the_words_of_the_code(
    client: Client, clerk: User, failing_urls: None
) -> None:
    client.force_login(clerk)

    response = client.get("/refuse-with-a-detail/")

    assert response.status_code == 403
    assert "403.html" in templates_of(response)
    assert SECRET_DETAIL not in response.text


@pytest.mark.django_db
def test_a_results_file_upload_by_a_clerk_is_refused_with_the_same_page(client: Client, clerk: User) -> None:
    client.force_login(clerk)

    response = client.get(reverse("entry:results_file"))

    assert response.status_code == 403
    assert "403.html" in templates_of(response)


@pytest.mark.django_db
def test_an_official_refused_a_page_is_offered_the_administration(
    client: Client, official: User, failing_urls: None
) -> None:
    client.force_login(official)

    response = client.get("/refuse-with-a-detail/")

    assert response.status_code == 403
    assert "Your role (official) does not allow this page." in text_of(response)
    assert f'href="{reverse("admin:index")}"' in response.text


@pytest.mark.django_db
def test_a_visitor_who_is_not_signed_in_is_offered_to_sign_in(client: Client, failing_urls: None) -> None:
    response = client.get("/refuse-with-a-detail/")

    assert response.status_code == 403
    text = text_of(response)
    assert "This page is only for staff whose role allows it." in text
    assert 'href="/entry/login/?next=%2Frefuse-with-a-detail%2F"' in response.text
    assert reverse("entry:logout") not in response.text


@pytest.mark.django_db
def test_the_403_page_in_arabic_reads_right_to_left(client: Client, clerk: User) -> None:
    client.force_login(clerk)
    client.cookies["django_language"] = "ar"

    response = client.get(reverse("entry:review_queue"))

    assert response.status_code == 403
    assert '<html lang="ar" dir="rtl">' in response.text


# Expired form


@pytest.mark.django_db
def test_a_form_sent_without_its_token_says_nothing_was_recorded_and_offers_it_again(clerk: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("entry:login"),
        {"username": "clerk", "password": PASSWORD},
        HTTP_REFERER="http://testserver/entry/login/",
    )

    assert response.status_code == 403
    assert templates_of(response)[:2] == ["403_csrf.html", "base.html"]
    assert_in_the_site_layout(response)
    text = text_of(response)
    assert "Your form was not sent" in text
    assert "Nothing was recorded." in text
    assert "reload the page" in text
    assert "allow cookies" in text
    assert 'href="http://testserver/entry/login/"' in response.text
    assert "CSRF" not in text
    assert "no-store" in response["Cache-Control"]
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_expired_form_page_never_links_to_another_site(clerk: User) -> None:
    response = Client(enforce_csrf_checks=True).post(
        reverse("entry:login"), {"username": "clerk"}, HTTP_REFERER="https://elsewhere.example/phish"
    )

    assert response.status_code == 403
    assert "elsewhere.example" not in response.text
    assert "Open the form again" not in text_of(response)


@pytest.mark.django_db
def test_the_expired_form_page_in_arabic_reads_right_to_left() -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "ar"

    response = client.post(reverse("entry:login"), {"username": "clerk"})

    assert response.status_code == 403
    assert '<html lang="ar" dir="rtl">' in response.text


# Not found, server error, database down


@pytest.mark.django_db
def test_a_missing_page_answers_404_in_the_site_layout(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "404.html" in templates_of(response)
    assert_in_the_site_layout(response)


@pytest.mark.django_db
def test_a_server_error_answers_500_in_the_site_layout(failing_urls: None) -> None:
    response = Client(raise_request_exception=False).get("/fail/")

    assert response.status_code == 500
    assert_in_the_site_layout(response)
    text = text_of(response)
    assert "Something went wrong on our side" in text
    assert "a bug" not in text


@pytest.mark.django_db
def test_a_server_error_in_arabic_reads_right_to_left(failing_urls: None) -> None:
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "ar"

    response = client.get("/fail/")

    assert response.status_code == 500
    assert '<html lang="ar" dir="rtl">' in response.text


def test_the_server_error_page_needs_no_database_session_or_user() -> None:
    # No database access is allowed in this test, and the request went through no middleware.
    response = views.server_error(RequestFactory().get("/anything/"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert 'class="language-switcher"' in response.content.decode()


@pytest.mark.django_db
def test_a_lost_database_answers_503_in_the_site_layout(failing_urls: None) -> None:
    response = Client(raise_request_exception=False).get("/lose-the-database/")

    assert response.status_code == 503
    assert templates_of(response)[:2] == ["503.html", "base.html"]
    assert_in_the_site_layout(response)
    assert "What you just sent was not saved." in text_of(response)
    assert response["Retry-After"] == "5"
