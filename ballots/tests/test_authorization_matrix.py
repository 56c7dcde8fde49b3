"""Who may do what on the entry site and the entry API: every role against every door, from one table.

Every door is aimed at station A (N-001, in district North). A refusal is the right answer and writes nothing: an
anonymous caller is sent to the entry login (pages) or gets 401 (API); a signed-in user is told 404 about a station
they may not work on, by a page and by the API alike (``not_found``, as for a station that does not exist, so that
station ids cannot be probed), and 403 for a supervisor's action or page they do not have. An allowed request works
(2xx/3xx) and, for a write, writes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import ballots.urls
from ballots.models import Ballot, BallotVoid, StationCount, TallySheet, TurnoutReport
from ballots.tests.matrix_doors import DOORS, ROLES, Door, World, client_for, world_fixture  # noqa: F401
from trust.models import AuditEvent

ALLOW, HIDDEN, LOGIN, FORBIDDEN, NOT_FOUND, PUBLIC = "allow", "hidden", "login", "403", "404", "public"
A, H, L, F, N, P = ALLOW, HIDDEN, LOGIN, FORBIDDEN, NOT_FOUND, PUBLIC

# One row per door, one column per role, in the order of ROLES:
#        anon clerkA clerkB B-token othSup sup off inactive revoked
STATION_DOOR = (L, A, N, L, N, A, A, L, L)
SUPERVISOR_ACTION = (L, F, N, L, N, A, A, L, L)
REVIEW_ITEM = (L, N, N, L, N, A, A, L, L)
API_WRITE = (L, A, N, N, N, A, A, L, L)
TABLE: dict[str, tuple[str, ...]] = {
    "GET entry:home": (L, A, H, L, H, A, A, L, L),
    "GET entry:login": (P, P, P, P, P, P, P, P, P),
    "POST entry:logout": (P, P, P, P, P, P, P, P, P),
    "GET entry:station": STATION_DOOR,
    "GET entry:turnout": STATION_DOOR,
    "POST entry:turnout": STATION_DOOR,
    "GET entry:sheet": STATION_DOOR,
    "POST entry:sheet": STATION_DOOR,
    "GET entry:sheet_history": STATION_DOOR,
    "POST entry:quarantine": SUPERVISOR_ACTION,
    "POST entry:release": SUPERVISOR_ACTION,
    "GET entry:ballots": STATION_DOOR,
    "POST entry:ballots": STATION_DOOR,
    "POST entry:undo": STATION_DOOR,
    "POST entry:complete": STATION_DOOR,
    "POST entry:reopen": SUPERVISOR_ACTION,
    "GET entry:review_queue": (L, F, F, L, H, A, A, L, L),
    "GET entry:review_item": REVIEW_ITEM,
    "POST entry:review_item": REVIEW_ITEM,
    "GET entry:results_file": (L, F, F, L, F, F, A, L, L),
    "GET /api/v1/entry/stations": (L, A, H, H, H, A, A, L, L),
    "POST /api/v1/entry/ballots": API_WRITE,
    "POST /api/v1/entry/ballots/batch": API_WRITE,
    "POST /api/v1/entry/tally-sheets": API_WRITE,
    "POST /api/v1/entry/tally-sheets/batch": API_WRITE,
    "POST /api/v1/entry/turnout": API_WRITE,
    "POST /api/v1/entry/ballots/{ballot_id}/void": API_WRITE,
}


def test_every_door_of_the_entry_site_and_api_is_in_the_table(client: Client) -> None:
    """A new page or endpoint fails here until its row says who may use it."""
    assert set(TABLE) == set(DOORS)
    assert all(len(row) == len(ROLES) for row in TABLE.values())
    routed = {f"entry:{pattern.name}" for pattern in ballots.urls.urlpatterns}
    assert routed == {door.route for door in DOORS.values() if not door.api}
    document = client.get("/api/v1/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        if path.startswith("/api/v1/entry/")
        for method in methods
    }
    assert operations == {name for name, door in DOORS.items() if door.api}


def snapshot() -> tuple[Any, ...]:
    """Everything an entry can change; every change also appends to the audit log."""
    return (
        [m.objects.count() for m in (AuditEvent, Ballot, BallotVoid, TallySheet, TurnoutReport, StationCount)],
        list(TallySheet.objects.order_by("pk").values_list("pk", "status")),
        list(StationCount.objects.order_by("pk").values_list("pk", "complete")),
    )


def send(door: Door, role: str, world: World) -> Any:
    client = client_for(role, world)
    headers: dict[str, str] = {}
    if door.api and role in world.tokens:
        headers["Authorization"] = f"Bearer {world.tokens[role]}"
    path = door.path(world)
    if door.method == "GET":
        return client.get(path, headers=headers)
    if door.api:
        headers["Idempotency-Key"] = "matrix-entry-0001"
        return client.post(path, json.dumps(door.body(world)), content_type="application/json", headers=headers)
    return client.post(path, door.body(world), headers=headers)


def effective_status(door: Door, response: Any) -> int:
    """A batch answers 200 and refuses item by item; its one item's status is the answer."""
    if door.route.endswith("/batch") and response.status_code == 200:
        return int(response.json()["outcomes"][0]["status"])
    return int(response.status_code)


CASES = [pytest.param(name, role, id=f"{name}-{role}") for name in TABLE for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES)
def test_who_may_use_each_door(world: World, name: str, role: str) -> None:
    door = DOORS[name]
    expected = TABLE[name][ROLES.index(role)]
    door.prepare(world)
    before = snapshot()

    response = send(door, role, world)

    status = effective_status(door, response)
    body = response.content.decode()
    assert status < 500, body[:500]
    if expected in (ALLOW, HIDDEN, PUBLIC):
        assert 200 <= status < 400, f"{name} refused {role}: {status}"
        if status in (301, 302) and expected != PUBLIC:
            assert "/login/" not in response["Location"], f"{name} sent {role} to sign in"
        if door.method == "POST" and expected == ALLOW:
            assert snapshot() != before, f"{name} wrote nothing for {role}"
        if door.shows is not None and expected != PUBLIC:
            assert (door.shows in body) == (expected == ALLOW), f"{name} for {role}: station A shown?"
        return
    assert snapshot() == before, f"{name} wrote something for {role}"
    if expected == LOGIN and door.api:
        assert status == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    elif expected == LOGIN:
        assert status == 302
        assert response["Location"].startswith(reverse("entry:login"))
    else:
        assert status == int(expected), f"{name} answered {role} {status}, not {expected}"
        if door.api:
            error = response.json()["error"] if response.status_code != 200 else response.json()["outcomes"][0]["error"]
            assert error["code"] == {403: "not_allowed", 404: "not_found"}[status]
