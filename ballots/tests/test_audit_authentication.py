"""Every audit event says how its actor signed in for the request that made it: by session, or by API token (which
one, issued by whom). The record lasts one request, under WSGI and ASGI alike."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import AsyncClient, Client

from ballots.services import report_turnout
from elections.models import PollingStation
from trust.authentication import describe_authentication
from trust.models import ApiToken, AuditEvent
from trust.tokens import activate_api_token, offer_api_token

pytestmark = pytest.mark.django_db
TURNOUT = "/api/v1/entry/turnout"


@pytest.fixture
def token(clerk: User, official: User) -> tuple[ApiToken, str]:
    return activate_api_token(api_token=offer_api_token(user=clerk, name="tablet", issued_by=official), user=clerk)


def _turnout(station: PollingStation, voters: int) -> str:
    return json.dumps({"station_id": station.pk, "voters": voters})


def _last_turnout_event() -> AuditEvent:
    return AuditEvent.objects.filter(action="turnout.report").latest("id")


def test_an_entry_made_with_a_token_names_the_token_and_who_issued_it(
    client: Client, station: PollingStation, token: tuple[ApiToken, str], new_key: Callable[[], str]
) -> None:
    api_token, secret = token
    response = client.post(
        TURNOUT,
        data=_turnout(station, 40),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": new_key()},
    )

    assert response.status_code == 201
    assert _last_turnout_event().authentication == {
        "method": "token",
        "token_prefix": api_token.prefix,
        "token_issued_by": "official",
    }


def test_an_entry_made_in_a_session_says_so(
    client: Client, clerk: User, station: PollingStation, new_key: Callable[[], str]
) -> None:
    client.force_login(clerk)
    response = client.post(
        TURNOUT, data=_turnout(station, 40), content_type="application/json", headers={"Idempotency-Key": new_key()}
    )
    assert response.status_code == 201
    assert _last_turnout_event().authentication == {"method": "session"}

    page = client.post(f"/entry/stations/{station.pk}/turnout/", {"voters": "45", "idempotency_key": new_key()})
    assert page.status_code == 302
    assert _last_turnout_event().after["voters"] == 45  # type: ignore[index]
    assert _last_turnout_event().authentication == {"method": "session"}


def test_a_change_made_outside_a_request_records_no_sign_in(clerk: User, station: PollingStation) -> None:
    report_turnout(station=station, voters=40, actor=clerk, idempotency_key="outside-request-1")
    assert _last_turnout_event().authentication is None


def test_a_token_request_does_not_leak_into_the_next_request_on_the_same_thread(
    clerk: User, station: PollingStation, token: tuple[ApiToken, str], new_key: Callable[[], str]
) -> None:
    Client().post(
        TURNOUT,
        data=_turnout(station, 40),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token[1]}", "Idempotency-Key": new_key()},
    )
    session = Client()
    session.force_login(clerk)
    session.post(
        TURNOUT, data=_turnout(station, 41), content_type="application/json", headers={"Idempotency-Key": new_key()}
    )

    assert _last_turnout_event().authentication == {"method": "session"}
    assert describe_authentication(clerk) is None


def test_under_asgi_each_request_records_its_own_sign_in_and_none_outlives_it(
    clerk: User, station: PollingStation, token: tuple[ApiToken, str], new_key: Callable[[], str]
) -> None:
    async def post(client: AsyncClient, voters: int, **headers: str) -> Any:
        return await client.post(
            TURNOUT,
            data=_turnout(station, voters),
            content_type="application/json",
            headers={"Idempotency-Key": new_key(), **headers},
        )

    async def both() -> tuple[int, int]:
        by_token = await post(AsyncClient(), 40, Authorization=f"Bearer {token[1]}")
        session = AsyncClient()
        await session.aforce_login(clerk)
        by_session = await post(session, 41)
        return by_token.status_code, by_session.status_code

    assert async_to_sync(both)() == (201, 201)

    events = list(AuditEvent.objects.filter(action="turnout.report").order_by("id"))
    assert [e.authentication["method"] for e in events] == ["token", "session"]  # type: ignore[index]
    assert describe_authentication(clerk) is None


def test_an_edited_sign_in_record_breaks_the_chain(
    client: Client, clerk: User, station: PollingStation, new_key: Callable[[], str]
) -> None:
    client.force_login(clerk)
    client.post(
        TURNOUT, data=_turnout(station, 40), content_type="application/json", headers={"Idempotency-Key": new_key()}
    )
    event = _last_turnout_event()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE ballots_auditevent SET authentication = NULL WHERE id = %s", [event.pk])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    with pytest.raises(CommandError, match=rf"#{event.pk} does not verify: its content does not match"):
        call_command("verify_audit", stdout=io.StringIO())
