"""Every form that changes something refuses a post without its CSRF token: the entry site's forms, its login and
logout, the language switcher, the admin; the entry API checks it for session callers but not for Bearer tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ballots.models import Ballot, BallotVoid, StationCount, TallySheet, TurnoutReport
from ballots.tests.matrix_doors import DOORS, Door, World, world_fixture  # noqa: F401
from elections.models import Election
from trust.models import ApiToken, AuditEvent
from trust.tokens import issue_api_token

FORM_POSTS = [name for name, door in DOORS.items() if door.method == "POST" and not door.api]
API_POSTS = [name for name, door in DOORS.items() if door.method == "POST" and door.api]


def strict_client(world: World | None = None, role: str | None = None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if world is not None and role is not None:
        client.force_login(world.users[role])
    return client


def csrf_token(client: Client) -> str:
    """The token a form of the site would carry (the login page's when signed out, the home page's when in)."""
    client.get(reverse("entry:home"))
    if "csrftoken" not in client.cookies:
        client.get(reverse("entry:login"))
    return str(client.cookies["csrftoken"].value)


def written() -> list[int]:
    return [m.objects.count() for m in (AuditEvent, Ballot, BallotVoid, TallySheet, TurnoutReport, StationCount)]


def send_api(client: Client, door: Door, world: World, **headers: str) -> Any:
    return client.post(
        door.path(world),
        json.dumps(door.body(world)),
        content_type="application/json",
        headers={"Idempotency-Key": "csrf-entry-0001", **headers},
    )


@pytest.mark.parametrize("name", FORM_POSTS)
def test_each_entry_form_refuses_a_post_without_the_token_and_takes_it_with(world: World, name: str) -> None:
    door = DOORS[name]
    door.prepare(world)
    client = strict_client(world, "official")
    before = written()

    refused = client.post(door.path(world), door.body(world))
    assert refused.status_code == 403
    assert written() == before

    accepted = client.post(door.path(world), {**door.body(world), "csrfmiddlewaretoken": csrf_token(client)})
    assert accepted.status_code in (200, 302)
    if name != "POST entry:logout":
        assert written() != before


def test_the_entry_login_refuses_a_post_without_the_token(world: World) -> None:
    client = strict_client()
    credentials = {"username": "clerk", "password": "correct-horse-battery"}
    assert client.post(reverse("entry:login"), credentials).status_code == 403
    assert "_auth_user_id" not in client.session
    signed_in = client.post(reverse("entry:login"), {**credentials, "csrfmiddlewaretoken": csrf_token(client)})
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(world.users["clerk_a"].pk)


@pytest.mark.django_db
def test_the_language_switcher_needs_no_token_and_the_pages_carrying_it_set_no_cookie() -> None:
    """The one form without a token: it changes nothing but the visitor's own display language, and a token in it
    set a cookie on every first visit to every page, keeping the public results out of shared caches
    (results/tests/test_pages.py checks the results pages themselves)."""
    client = strict_client()
    home = client.get("/")
    assert home.status_code == 200
    assert not home.cookies
    switched = client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    assert switched.status_code == 302
    assert client.cookies["django_language"].value == "ar"


def test_the_admin_login_change_form_and_actions_refuse_a_post_without_the_token(world: World) -> None:
    anonymous = strict_client()
    login = {"username": "official", "password": "correct-horse-battery", "next": "/admin/"}
    assert anonymous.post(reverse("admin:login"), login).status_code == 403

    official = strict_client(world, "official")
    election_url = reverse("admin:elections_election_change", args=[world.election.pk])
    data = {"name": "Renamed", "slug": world.election.slug, "date": "2026-11-03", "time_zone": "UTC"}
    assert official.post(election_url, data).status_code == 403
    close = {"action": "close_elections", "_selected_action": [str(world.election.pk)], "confirmed": "yes"}
    assert official.post(reverse("admin:elections_election_changelist"), close).status_code == 403
    token = {"user": str(world.users["clerk_a"].pk), "name": "tablet 9"}
    tokens_before = ApiToken.objects.count()
    assert official.post(reverse("admin:trust_apitoken_add"), token).status_code == 403

    assert Election.objects.get(pk=world.election.pk).name == "Test Election"
    assert Election.objects.get(pk=world.election.pk).status == Election.Status.OPEN
    assert ApiToken.objects.count() == tokens_before
    # The same action with the token goes through: the refusals above were the CSRF check's.
    close["csrfmiddlewaretoken"] = csrf_token(official)
    assert official.post(reverse("admin:elections_election_changelist"), close).status_code == 302
    assert Election.objects.get(pk=world.election.pk).status == Election.Status.CLOSED


@pytest.mark.parametrize("name", API_POSTS)
def test_the_api_needs_the_token_with_a_session_but_not_with_a_bearer_token(world: World, name: str) -> None:
    door = DOORS[name]
    door.prepare(world)
    session = strict_client(world, "clerk_a")
    before = written()

    refused = send_api(session, door, world)
    assert refused.status_code == 403
    assert written() == before

    with_csrf = send_api(session, door, world, **{"X-CSRFToken": csrf_token(session)})
    assert with_csrf.status_code in (200, 201), with_csrf.content
    assert written() != before


@pytest.mark.parametrize("name", API_POSTS)
def test_a_bearer_token_needs_no_csrf_token(world: World, official_token: str, name: str) -> None:
    door = DOORS[name]
    door.prepare(world)
    before = written()
    response = send_api(strict_client(), door, world, Authorization=f"Bearer {official_token}")
    assert response.status_code in (200, 201), response.content
    assert written() != before


@pytest.fixture
def official_token(world: World) -> str:
    return issue_api_token(user=world.users["official"], name="script", issued_by=world.users["official"])[1]
