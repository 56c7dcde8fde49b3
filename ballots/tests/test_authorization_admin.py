"""Who may do what in the admin: the same roles as the entry matrix against every admin list, the change pages of
elections, stations and candidates, and every admin action.

Only officials work in the admin. Everyone else, signed in or not, is sent to the admin's login page and changes
nothing; an official is refused (403) only what the Officials group has no permission for (the lockout records).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from ballots.tests.matrix_doors import ROLES, World, client_for, world_fixture  # noqa: F401
from elections.models import Candidate, Election, Party, PollingStation
from elections.services import close_election
from trust.models import ApiToken, AuditEvent
from trust.tokens import offer_api_token

ALLOW, LOGIN, FORBIDDEN = "allow", "login", "403"
#          anon clerkA clerkB B-token othSup sup off inactive revoked
OFFICIALS = ("login",) * 6 + ("allow",) + ("login",) * 2
NOBODY = ("login",) * 6 + ("403",) + ("login",) * 2


@dataclass(frozen=True)
class AdminDoor:
    path: Callable[[World], str]
    body: Callable[[World, Client], dict[str, Any]] | None = None  # a POST; the official's client builds forms
    prepare: Callable[[World], None] = lambda world: None
    changed: Callable[[World], Any] = lambda world: None  # what an allowed POST changes
    roles: tuple[str, ...] = OFFICIALS


def changelist(label: str) -> Callable[[World], str]:
    app, model = label.split(".")
    return lambda world: reverse(f"admin:{app}_{model}_changelist")


def change_page(label: str, obj: Callable[[World], Any]) -> Callable[[World], str]:
    app, model = label.split(".")
    return lambda world: reverse(f"admin:{app}_{model}_change", args=[obj(world).pk])


def change_form(url: Callable[[World], str], **changes: str) -> Callable[[World, Client], dict[str, Any]]:
    """The change form as the official sees it (inlines included), with ``changes`` made."""

    def body(world: World, official: Client) -> dict[str, Any]:
        page = official.get(url(world))
        forms = [page.context["adminform"].form]
        for inline in page.context["inline_admin_formsets"]:
            forms += [inline.formset.management_form, *inline.formset.forms]
        data: dict[str, Any] = {}
        for form in forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None and value is not False:
                    data[form.add_prefix(name)] = "on" if value is True else value
        return {**data, **changes}

    return body


def action(name: str, objects: Callable[[World], list[Any]], **extra: str) -> Callable[[World, Client], dict[str, Any]]:
    return lambda world, official: {
        "action": name,
        "_selected_action": [str(o.pk) for o in objects(world)],
        **extra,
    }


def election(world: World) -> Election:
    return Election.objects.get(pk=world.election.pk)


def station(world: World) -> PollingStation:
    return PollingStation.objects.get(pk=world.station.pk)


def candidate(world: World) -> Candidate:
    return world.contest.candidates.order_by("ballot_order")[0]


def status_of(world: World) -> tuple[str, str]:
    current = election(world)
    return current.status, current.results_visibility


def back_to_draft(world: World) -> None:
    Election.objects.filter(pk=world.election.pk).update(status=Election.Status.DRAFT)


def closed(world: World) -> None:
    close_election(election=election(world), actor=world.users["official"])


def spare_party(world: World) -> None:
    Party.objects.create(election=world.election, name="Spare Party", abbreviation="SP", colour="#123456")


def clerk_a_token(world: World) -> None:
    offer_api_token(user=world.users["clerk_a"], name="to revoke", issued_by=world.users["official"])


ELECTION = change_page("elections.election", election)
STATION = change_page("elections.pollingstation", station)
CANDIDATE = change_page("elections.candidate", candidate)
CONFIRMED = {"confirmed": "yes"}
DOORS: dict[str, AdminDoor] = {
    "index": AdminDoor(lambda world: reverse("admin:index")),
    **{
        f"list {label}": AdminDoor(changelist(label))
        for label in [
            "auth.group",
            "elections.election",
            "elections.district",
            "elections.pollingstation",
            "elections.party",
            "elections.contest",
            "elections.candidate",
            "elections.electoraldistrict",
            "elections.votetype",
            "auth.user",
            "trust.auditevent",
            "trust.apitoken",
        ]
    },
    **{
        f"list {label}": AdminDoor(changelist(label), roles=NOBODY)
        for label in [
            "axes.accessattempt",
            "axes.accesslog",
            "axes.accessfailurelog",
        ]
    },
    "view election": AdminDoor(ELECTION),
    "view station": AdminDoor(STATION),
    "view candidate": AdminDoor(CANDIDATE),
    "change election": AdminDoor(ELECTION, change_form(ELECTION, name="Renamed"), changed=lambda w: election(w).name),
    "change station": AdminDoor(
        STATION, change_form(STATION, registered_voters="777"), changed=lambda w: station(w).registered_voters
    ),
    "change candidate": AdminDoor(
        CANDIDATE, change_form(CANDIDATE, name_en="Amal H."), changed=lambda w: candidate(w).name_en
    ),
    "add apitoken": AdminDoor(
        lambda world: reverse("admin:trust_apitoken_add"),
        lambda world, official: {"user": str(world.users["clerk_a"].pk), "name": "tablet 9"},
        changed=lambda world: ApiToken.objects.count(),
    ),
    "action open_elections": AdminDoor(
        changelist("elections.election"),
        action("open_elections", lambda w: [election(w)], **CONFIRMED),
        back_to_draft,
        status_of,
    ),
    "action close_elections": AdminDoor(
        changelist("elections.election"),
        action("close_elections", lambda w: [election(w)], **CONFIRMED),
        changed=status_of,
    ),
    "action publish_results": AdminDoor(
        changelist("elections.election"),
        action("publish_results", lambda w: [election(w)], **CONFIRMED),
        changed=status_of,
    ),
    "action certify_elections": AdminDoor(
        changelist("elections.election"),
        action("certify_elections", lambda w: [election(w)], **CONFIRMED),
        closed,
        status_of,
    ),
    "action revoke_selected": AdminDoor(
        changelist("trust.apitoken"),
        action("revoke_selected", lambda w: list(ApiToken.objects.all())),
        clerk_a_token,
        lambda w: list(ApiToken.objects.values_list("revoked_at", flat=True)),
    ),
    "action delete_selected": AdminDoor(
        changelist("elections.party"),
        action("delete_selected", lambda w: list(Party.objects.filter(name="Spare Party")), post="yes"),
        spare_party,
        lambda w: Party.objects.count(),
    ),
    "action cleanup_expired_attempts": AdminDoor(
        changelist("axes.accessattempt"), action("cleanup_expired_attempts", lambda w: []), roles=NOBODY
    ),
}


def test_every_admin_list_and_action_is_in_the_table() -> None:
    """A newly registered model or action fails here until its row says who may use it."""
    for model, model_admin in admin.site._registry.items():
        assert f"list {model._meta.label_lower}" in DOORS, model._meta.label_lower
        for each in model_admin.actions or []:
            assert f"action {getattr(each, '__name__', each)}" in DOORS
    assert all(f"action {name}" in DOORS for name in admin.site._actions)
    assert {len(door.roles) for door in DOORS.values()} == {len(ROLES)}


@pytest.mark.parametrize(("name", "role"), [pytest.param(n, r, id=f"{n}-{r}") for n in DOORS for r in ROLES])
def test_who_may_use_the_admin(world: World, name: str, role: str) -> None:
    door = DOORS[name]
    expected = door.roles[ROLES.index(role)]
    door.prepare(world)
    official = client_for("official", world)
    data = door.body(world, official) if door.body else None
    before = (door.changed(world), AuditEvent.objects.count())
    client = client_for(role, world)

    response = client.get(door.path(world)) if data is None else client.post(door.path(world), data)

    if expected == ALLOW:
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
        if data is not None:
            assert (door.changed(world), AuditEvent.objects.count()) != before, f"{name} changed nothing"
        return
    assert (door.changed(world), AuditEvent.objects.count()) == before, f"{name} changed something for {role}"
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == 403


def test_a_supervisor_given_staff_status_by_mistake_still_cannot_change_or_act(world: World) -> None:
    """The groups' permissions hold even when the admin door is open: supervisors and clerks may only look."""
    users: list[User] = [world.users["supervisor"], world.users["clerk_a"]]
    for user in users:
        User.objects.filter(pk=user.pk).update(is_staff=True)
        client = client_for("official", world)
        client.force_login(user)
        data = change_form(ELECTION, name="Renamed")(world, client_for("official", world))
        assert client.post(ELECTION(world), data).status_code == 403
        response = client.post(
            changelist("elections.election")(world),
            action("close_elections", lambda w: [election(w)], **CONFIRMED)(world, client),
        )
        assert response.status_code < 500  # the action is not offered to them: the list comes back unchanged
        assert status_of(world) == (Election.Status.OPEN, Election.Visibility.HIDDEN)
        assert election(world).name == "Test Election"
