"""An official issues API tokens for themselves; a token for someone else waits until its holder, signed in,
activates it, and only the holder ever sees its secret. A superuser may issue for anyone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from trust.errors import EntryRejected, NotAllowed
from trust.models import ApiToken, AuditEvent
from trust.tokens import activate_api_token, find_token_user, issue_api_token, offer_api_token

SECRET = re.compile(r"vt_[0-9a-f]{12}_[A-Za-z0-9_\-]+")
TOKENS = "/account/api-tokens/"


@pytest.fixture
def pending(official: User, clerk: User) -> ApiToken:
    return offer_api_token(user=clerk, name="tablet 3", issued_by=official)


@pytest.mark.django_db
def test_an_official_issuing_for_someone_else_is_shown_no_secret_and_the_token_waits(
    client: Client, official: User, clerk: User
) -> None:
    client.force_login(official)
    response = client.post("/admin/trust/apitoken/add/", {"user": str(clerk.pk), "name": "tablet 9"})

    page = response.content.decode()
    assert response.status_code == 200
    assert SECRET.search(page) is None
    assert f"http://testserver{TOKENS}" in page
    api_token = ApiToken.objects.get()
    assert (api_token.user, api_token.issued_by, api_token.is_pending, api_token.secret_hash) == (
        clerk,
        official,
        True,
        "",
    )
    issued = AuditEvent.objects.get(action="api_token.issue")
    assert issued.after == {"user": "clerk", "name": "tablet 9", "prefix": api_token.prefix, "pending": True}


@pytest.mark.django_db
def test_a_pending_token_authenticates_nothing(client: Client, pending: ApiToken) -> None:
    guessed = f"vt_{pending.prefix}_anything-at-all"
    assert find_token_user(guessed) is None
    assert client.get("/api/v1/entry/stations", HTTP_AUTHORIZATION=f"Bearer {guessed}").status_code == 401


@pytest.mark.django_db
def test_the_holder_activates_the_token_and_alone_sees_its_secret_once(
    client: Client, clerk: User, pending: ApiToken
) -> None:
    client.force_login(clerk)
    listing = client.get(TOKENS).content.decode()
    assert pending.prefix in listing
    assert "official" in listing  # who issued it, so the holder can tell whether they asked for it

    response = client.post(f"{TOKENS}{pending.pk}/activate/")

    assert response.status_code == 200
    found = SECRET.search(response.content.decode())
    assert found is not None
    secret = found.group(0)
    assert find_token_user(secret) == clerk
    assert "no-store" in response["Cache-Control"]
    assert not any(secret in morsel.OutputString() for morsel in response.cookies.values())
    assert not any(secret in str(session.get_decoded()) for session in Session.objects.all())
    assert secret not in client.get(TOKENS).content.decode()
    activated = AuditEvent.objects.get(action="api_token.activate")
    assert (activated.actor, activated.authentication) == (clerk, {"method": "session"})
    assert client.get("/api/v1/entry/stations", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


@pytest.mark.django_db
def test_nobody_but_the_holder_can_activate_a_token(
    client: Client, official: User, supervisor: User, pending: ApiToken
) -> None:
    for someone in (official, supervisor):
        client.force_login(someone)
        assert client.post(f"{TOKENS}{pending.pk}/activate/").status_code == 404
        with pytest.raises(NotAllowed):
            activate_api_token(api_token=pending, user=someone)
    pending.refresh_from_db()
    assert pending.is_pending
    assert not AuditEvent.objects.filter(action="api_token.activate").exists()


@pytest.mark.django_db
def test_a_token_is_activated_once(client: Client, clerk: User, pending: ApiToken) -> None:
    client.force_login(clerk)
    assert client.post(f"{TOKENS}{pending.pk}/activate/").status_code == 200

    again = client.post(f"{TOKENS}{pending.pk}/activate/", follow=True)

    assert SECRET.search(again.content.decode()) is None
    assert "not waiting to be activated" in again.content.decode()
    with pytest.raises(EntryRejected):
        activate_api_token(api_token=pending, user=clerk)
    assert AuditEvent.objects.filter(action="api_token.activate").count() == 1


@pytest.mark.django_db
def test_the_holder_may_decline_a_token_they_did_not_ask_for(client: Client, clerk: User, pending: ApiToken) -> None:
    client.force_login(clerk)
    client.post(f"{TOKENS}{pending.pk}/decline/")

    pending.refresh_from_db()
    assert pending.revoked_at is not None
    assert AuditEvent.objects.get(action="api_token.revoke").actor == clerk
    # Declined is final: activating it afterwards is refused and shows no secret.
    refused = client.post(f"{TOKENS}{pending.pk}/activate/", follow=True)
    assert SECRET.search(refused.content.decode()) is None
    assert not ApiToken.objects.filter(activated_at__isnull=False).exists()


@pytest.mark.django_db
def test_a_superuser_issues_an_active_token_for_anyone(clerk: User) -> None:
    root = User.objects.create_superuser(username="root", password="correct-horse-battery")
    api_token, secret = issue_api_token(user=clerk, name="set up by the administrator", issued_by=root)
    assert secret is not None
    assert find_token_user(secret) == clerk
    assert api_token.issued_by == root


@pytest.mark.django_db
def test_an_official_cannot_issue_a_working_token_for_someone_else(official: User, clerk: User) -> None:
    with pytest.raises(NotAllowed):
        issue_api_token(user=clerk, name="as the clerk", issued_by=official)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_only_an_official_issues_tokens(clerk: User, supervisor: User) -> None:
    for someone in (clerk, supervisor):
        with pytest.raises(NotAllowed):
            issue_api_token(user=someone, name="my own", issued_by=someone)
        with pytest.raises(NotAllowed):
            offer_api_token(user=someone, name="my own", issued_by=someone)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_the_token_page_asks_for_sign_in(client: Client) -> None:
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith("/entry/login/")


BEFORE = [("trust", "0003_audit_refuses_truncate")]
AFTER = [("trust", "0004_rows_digest_authentication_token_confirmation")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.fixture
def before_confirmation(transactional_db: None) -> Iterator[tuple[User, User]]:
    """An official and a clerk, with tokens as they were before activation; the latest state again afterwards."""
    official = User.objects.create_user("issuer")
    clerk = User.objects.create_user("holder")
    _migrate(BEFORE)
    yield official, clerk
    _migrate(AFTER)


# Serialized rollback: the flush after a transactional test would take the staff groups other tests rely on.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tokens_issued_before_confirmation_stay_usable_and_name_their_issuer(
    before_confirmation: tuple[User, User],
) -> None:
    official, clerk = before_confirmation
    old = MigrationExecutor(connection).loader.project_state(BEFORE[0]).apps
    created = timezone.now()
    token = old.get_model("trust", "ApiToken").objects.create(
        user_id=clerk.pk, name="old tablet", prefix="0123456789ab", secret_hash="f" * 64, created_at=created
    )
    old.get_model("trust", "AuditEvent").objects.create(
        at=created,
        actor_id=official.pk,
        action="api_token.issue",
        object_type="trust.apitoken",
        object_id=str(token.pk),
        object_repr="old tablet",
        prev_hash="0" * 64,
        hash="1" * 64,
    )

    _migrate(AFTER)

    migrated = ApiToken.objects.get(pk=token.pk)
    assert (migrated.activated_at, migrated.issued_by_id, migrated.is_active) == (created, official.pk, True)
