"""The authorization matrix's cast and doors: the roles (one user or token each, built by the ``world`` fixture) and
every door of the entry site and the entry API, each aimed at station A with the state it needs beforehand (a sheet
to quarantine, a ballot to void, a mismatch to review)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from ballots import services
from ballots.selectors import get_open_sheet
from ballots.tests.support import set_counting, submit_sheet
from elections.models import ClerkAssignment, Contest, Election, PollingStation
from trust.tokens import activate_api_token, offer_api_token, revoke_api_tokens


@dataclass
class World:
    election: Election
    station: PollingStation
    contest: Contest
    users: dict[str, User]
    tokens: dict[str, str]
    made: dict[str, int] = field(default_factory=dict)

    def votes(self, numbers: list[int]) -> dict[str, int]:
        ids = self.contest.candidates.order_by("ballot_order").values_list("pk", flat=True)
        return {str(pk): n for pk, n in zip(ids, numbers, strict=True)}


ROLES = [
    "anonymous",
    "clerk_a",  # clerk of station A, signed in
    "clerk_b",  # clerk of station B (same district), signed in
    "clerk_b_token",  # clerk of station B, by API token only
    "other_supervisor",  # supervisor of district South
    "supervisor",  # supervisor of district North, which holds A
    "official",
    "inactive",  # a clerk of A whose account was deactivated: old session and a token issued before
    "revoked_token",  # a clerk of A whose token was revoked
]
SESSION_ROLES = {"clerk_a", "clerk_b", "other_supervisor", "supervisor", "official", "inactive"}


@pytest.fixture(name="world")
def world_fixture(
    open_vote: Election,
    clerk: User,
    north_supervisor: User,
    south_supervisor: User,
    official: User,
    station: PollingStation,
    other_station: PollingStation,
) -> World:
    set_counting(open_vote, Election.CountingMethod.BOTH)
    contest = open_vote.contests.get(slug="mayor")
    users = {"clerk_a": clerk, "supervisor": north_supervisor, "other_supervisor": south_supervisor}
    users["official"] = official
    for role, assigned in [("clerk_b", other_station), ("inactive", station), ("revoked_token", station)]:
        users[role] = User.objects.create_user(username=role.replace("_", "-"), password="correct-horse-battery")
        users[role].groups.add(*clerk.groups.all())
        ClerkAssignment.objects.create(user=users[role], station=assigned)
    tokens = {
        role: activate_api_token(
            api_token=offer_api_token(user=users[user_role], name=role, issued_by=official), user=users[user_role]
        )[1]
        for role, user_role in [
            ("clerk_b_token", "clerk_b"),
            ("inactive", "inactive"),
            ("revoked_token", "revoked_token"),
        ]
    }
    revoke_api_tokens(tokens=users["revoked_token"].api_tokens.all(), revoked_by=official)
    User.objects.filter(pk=users["inactive"].pk).update(is_active=False)
    return World(election=open_vote, station=station, contest=contest, users=users, tokens=tokens)


def client_for(role: str, world: World) -> Client:
    client = Client()
    if role in SESSION_ROLES:
        client.force_login(world.users[role])
    return client


def nothing(world: World) -> None:
    pass


def accepted_sheet(world: World) -> None:
    submit_sheet(
        station=world.station, contest=world.contest, actor=world.users["clerk_a"], key="prep-0001", votes=[3, 2]
    )


def quarantined_sheet(world: World) -> None:
    accepted_sheet(world)
    current = get_open_sheet(station=world.station, contest=world.contest)
    assert current is not None
    services.quarantine_sheet(sheet=current, reason="torn", actor=world.users["official"], idempotency_key="prep-0002")


def a_ballot(world: World) -> None:
    recorded = services.record_ballot(
        station=world.station,
        contest=world.contest,
        kind="blank",
        marks=[],
        actor=world.users["clerk_a"],
        idempotency_key="prep-0003",
    )
    world.made["ballot"] = recorded.obj.pk


def complete_count(world: World) -> None:
    services.mark_count_complete(
        station=world.station, contest=world.contest, actor=world.users["clerk_a"], idempotency_key="prep-0004"
    )


def mismatch(world: World) -> None:
    """Double entry where the two entries differ: the sheet waits for a supervisor."""
    set_counting(world.election, Election.CountingMethod.BOTH, double_entry=True)
    # The holder of the revoked token is still an active clerk of A: the second clerk here.
    for key, actor, votes in [("prep-0005", "clerk_a", [3, 2]), ("prep-0006", "revoked_token", [2, 3])]:
        submit_sheet(station=world.station, contest=world.contest, actor=world.users[actor], key=key, votes=votes)


@dataclass(frozen=True)
class Door:
    route: str  # the URL name of a page, or the API operation as the OpenAPI document names it
    method: str
    path: Callable[[World], str]
    body: Callable[[World], dict[str, Any]] = lambda world: {}
    prepare: Callable[[World], None] = nothing
    shows: str | None = None  # what the answer contains when it is about station A

    @property
    def api(self) -> bool:
        return self.route.startswith("/")


def page(name: str, *, contest: bool = True) -> Callable[[World], str]:
    def path(world: World) -> str:
        args = [world.station.pk, world.contest.pk] if contest else [world.station.pk]
        return reverse(name, args=args)

    return path


def fixed(path: str) -> Callable[[World], str]:
    return lambda world: path


def form(**fields: str) -> Callable[[World], dict[str, Any]]:
    return lambda world: {"idempotency_key": "matrix-form-0001", **fields}


def sheet_form(world: World) -> dict[str, Any]:
    votes = {f"votes_{pk}": str(n) for pk, n in world.votes([3, 2]).items()}
    return {"idempotency_key": "matrix-form-0001", "ballots_cast": "5", "blank": "0", "invalid": "0", **votes}


def at_a(**fields: Any) -> Callable[[World], dict[str, Any]]:
    return lambda world: {"station_id": world.station.pk, "contest_id": world.contest.pk, **fields}


def sheet_body(world: World) -> dict[str, Any]:
    return {**at_a(ballots_cast=5, blank=0, invalid=0)(world), "votes": world.votes([3, 2])}


API = "/api/v1/entry"
ALL_DOORS = [
    Door("entry:home", "GET", fixed("/entry/"), shows="N-001"),
    Door("entry:login", "GET", fixed("/entry/login/")),
    Door("entry:logout", "POST", fixed("/entry/logout/")),
    Door("entry:station", "GET", page("entry:station", contest=False)),
    Door("entry:turnout", "GET", page("entry:turnout", contest=False)),
    Door("entry:turnout", "POST", page("entry:turnout", contest=False), form(voters="50")),
    Door("entry:sheet", "GET", page("entry:sheet")),
    Door("entry:sheet", "POST", page("entry:sheet"), sheet_form),
    Door("entry:sheet_history", "GET", page("entry:sheet_history"), prepare=accepted_sheet),
    Door("entry:quarantine", "POST", page("entry:quarantine"), form(reason="torn"), accepted_sheet),
    Door("entry:release", "POST", page("entry:release"), form(), quarantined_sheet),
    Door("entry:ballots", "GET", page("entry:ballots")),
    Door("entry:ballots", "POST", page("entry:ballots"), form(kind="blank")),
    Door(
        "entry:undo",
        "POST",
        page("entry:undo"),
        lambda world: form(ballot_id=str(world.made["ballot"]), reason="wrong key")(world),
        a_ballot,
    ),
    Door("entry:complete", "POST", page("entry:complete"), form(confirm="on")),
    Door("entry:reopen", "POST", page("entry:reopen"), form(reason="one missed"), complete_count),
    Door("entry:review_queue", "GET", fixed("/entry/review/"), prepare=mismatch, shows="N-001"),
    Door("entry:review_item", "GET", page("entry:review_item"), prepare=mismatch),
    Door("entry:review_item", "POST", page("entry:review_item"), form(action="accept", accept_version="2"), mismatch),
    Door("entry:results_file", "GET", fixed("/entry/results-file/")),
    Door(f"{API}/stations", "GET", fixed(f"{API}/stations"), shows='"N-001"'),
    Door(f"{API}/ballots", "POST", fixed(f"{API}/ballots"), at_a(kind="blank", marks=[])),
    Door(
        f"{API}/ballots/batch",
        "POST",
        fixed(f"{API}/ballots/batch"),
        lambda world: {"items": [at_a(kind="blank", marks=[])(world)]},
    ),
    Door(f"{API}/tally-sheets", "POST", fixed(f"{API}/tally-sheets"), sheet_body),
    Door(
        f"{API}/tally-sheets/batch",
        "POST",
        fixed(f"{API}/tally-sheets/batch"),
        lambda world: {"items": [sheet_body(world)]},
    ),
    Door(
        f"{API}/turnout", "POST", fixed(f"{API}/turnout"), lambda world: {"station_id": world.station.pk, "voters": 50}
    ),
    Door(
        API + "/ballots/{ballot_id}/void",
        "POST",
        lambda world: f"{API}/ballots/{world.made['ballot']}/void",
        lambda world: {"reason": "entered twice"},
        a_ballot,
    ),
]
DOORS: dict[str, Door] = {f"{door.method} {door.route}": door for door in ALL_DOORS}
