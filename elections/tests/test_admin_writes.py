"""Every configuration change made in the admin (each model's add, change and delete, the inlines and the actions)
goes through a service: one audit event with before and after per object, and a results note for its election."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client, RequestFactory
from django.urls import reverse

from elections.models import Candidate, Contest, District, Election, Party, SupervisorAssignment
from elections.services import ConfigurationRefused
from elections.tests.support import ResultsChanges, admin_form_data, events_since, last_event_id, messages_of
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class AdminCase:
    """A model's admin: what to type into its add page, and the field its change page edits."""

    model: str
    added: dict[str, Any]
    field: str
    new_value: Any


def _cases(election: Election) -> list[AdminCase]:
    north = election.districts.get(code="N")
    return [
        AdminCase(
            "election",
            {"name": "Council 2027", "slug": "council-2027", "date": "2027-03-01", "time_zone": "Asia/Amman"},
            "name",
            "Test Election, renamed",
        ),
        AdminCase("district", {"election": election.pk, "code": "E", "name": "East"}, "name", "North Side"),
        AdminCase(
            "pollingstation",
            {"election": election.pk, "district": north.pk, "code": "N-9", "name": "Clinic", "registered_voters": 9},
            "registered_voters",
            999,
        ),
        AdminCase(
            "party",
            {"election": election.pk, "name": "Blue Union", "abbreviation": "BU", "colour": "#1F77B4"},
            "colour",
            "#D62728",
        ),
        AdminCase("contest", {"election": election.pk, "name": "Council", "slug": "council"}, "seats", 3),
        AdminCase(
            "candidate",
            {"contest": election.contests.get().pk, "name_en": "Rana Saleh", "name_ar": "رنا صالح", "ballot_order": 3},
            "name_en",
            "Amal Haddad-Nasser",
        ),
    ]


MODELS = ["election", "district", "pollingstation", "party", "contest", "candidate"]


def _url(model: str, view: str, *args: Any) -> str:
    return reverse(f"admin:elections_{model}_{view}", args=args)


def _existing(model: str, election: Election) -> Any:
    """An object of the shared election that the admin may change and delete."""
    return {
        "election": election,
        "district": election.districts.get(code="N"),
        "pollingstation": election.stations.get(code="N-002"),
        "party": election.parties.get(),
        "contest": election.contests.get(),
        "candidate": Candidate.objects.get(contest__election=election, ballot_order=1),
    }[model]


@pytest.mark.parametrize("model", MODELS)
def test_adding_in_the_admin_leaves_one_create_event_and_notes_the_results(
    model: str, official_client: Client, election: Election, results_changes: ResultsChanges
) -> None:
    case = next(case for case in _cases(election) if case.model == model)
    data = admin_form_data(official_client, _url(model, "add")) | case.added
    start = last_event_id()

    response = official_client.post(_url(model, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    (event,) = events_since(start)
    assert event.action == f"{model}.create"
    assert event.before is None
    assert event.after is not None
    assert all(str(event.after[name]) == str(value) for name, value in case.added.items())
    created_election = int(event.object_id) if model == "election" else election.pk
    assert event.election_id == created_election
    assert results_changes.noted_elections() == {created_election}


@pytest.mark.parametrize("model", MODELS)
def test_changing_in_the_admin_leaves_one_change_event_with_before_and_after(
    model: str, official_client: Client, election: Election, results_changes: ResultsChanges
) -> None:
    case = next(case for case in _cases(election) if case.model == model)
    obj = _existing(model, election)
    old = getattr(obj, case.field)
    url = _url(model, "change", obj.pk)
    data = admin_form_data(official_client, url) | {case.field: case.new_value}
    start = last_event_id()

    response = official_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    (event,) = events_since(start)
    assert event.action == f"{model}.change"
    assert (event.before, event.after) == ({case.field: old}, {case.field: case.new_value})
    assert event.election_id == election.pk
    assert results_changes.noted_elections() == {election.pk}


@pytest.mark.parametrize("model", MODELS)
def test_deleting_in_the_admin_leaves_one_delete_event(
    model: str, official_client: Client, official: User, election: Election, results_changes: ResultsChanges
) -> None:
    # Leaves nothing refers to, so that each delete can go through.
    obj = {
        "election": Election.objects.create(name="Spare", slug="spare", date=dt.date(2027, 1, 1)),
        "district": District.objects.create(election=election, code="E", name="East"),
        "pollingstation": election.stations.get(code="N-002"),
        "party": Party.objects.create(election=election, name="Spare", abbreviation="SP"),
        "contest": Contest.objects.create(election=election, name="Spare", slug="spare"),
        "candidate": Candidate.objects.get(contest__election=election, ballot_order=2),
    }[model]
    start = last_event_id()

    response = official_client.post(_url(model, "delete", obj.pk), {"post": "yes"})

    assert response.status_code == 302
    (event,) = events_since(start)
    assert (event.action, event.object_id, event.after) == (f"{model}.delete", str(obj.pk), None)
    assert event.before is not None
    assert event.before
    assert not type(obj)._default_manager.filter(pk=obj.pk).exists()
    assert results_changes.noted_elections() == {obj.pk if model == "election" else election.pk}


def test_contests_inline_on_the_election_page_writes_one_event_per_row(
    official_client: Client, election: Election, results_changes: ResultsChanges
) -> None:
    url = _url("election", "change", election.pk)
    data = admin_form_data(official_client, url) | {
        "contests-0-name": "Mayor of the Town",
        "contests-TOTAL_FORMS": "2",
        "contests-1-name": "Council",
        "contests-1-slug": "council",
        "contests-1-seats": "5",
        "contests-1-max_choices": "5",
        "contests-1-position": "2",
    }
    start = last_event_id()

    response = official_client.post(url, data)

    assert response.status_code == 302, response.context["inline_admin_formsets"] if response.context else ""
    created, changed = events_since(start)
    assert created.action == "contest.create"
    assert created.after is not None
    assert (created.after["slug"], created.after["election"]) == ("council", election.pk)
    assert (changed.action, changed.after) == ("contest.change", {"name": "Mayor of the Town"})
    assert Contest.objects.get(slug="council").election == election
    assert results_changes.noted_elections() == {election.pk}


def test_candidates_inline_adds_changes_and_deletes_one_event_each(official_client: Client, election: Election) -> None:
    contest = election.contests.get()
    url = _url("contest", "change", contest.pk)
    data = admin_form_data(official_client, url) | {
        "candidates-0-name_en": "Amal Haddad-Nasser",
        "candidates-1-DELETE": "on",
        "candidates-2-ballot_order": "3",
        "candidates-2-name_en": "Rana Saleh",
        "candidates-2-name_ar": "رنا صالح",
    }
    start = last_event_id()

    response = official_client.post(url, data)

    assert response.status_code == 302
    events = events_since(start)
    assert [event.action for event in events] == ["candidate.delete", "candidate.create", "candidate.change"]
    assert events[0].before is not None
    assert events[0].before["name_en"] == "Omar Nasser"
    assert events[2].before == {"name_en": "Amal Haddad"}
    assert sorted(contest.candidates.values_list("name_en", flat=True)) == ["Amal Haddad-Nasser", "Rana Saleh"]


def test_assignment_inlines_on_station_district_and_user_pages_are_audited(
    official_client: Client, election: Election, clerk: User, supervisor: User
) -> None:
    station = election.stations.get(code="S-001")
    station_url = _url("pollingstation", "change", station.pk)
    station_data = admin_form_data(official_client, station_url) | {
        "clerk_assignments-TOTAL_FORMS": "1",
        "clerk_assignments-0-user": clerk.pk,
    }
    north = election.districts.get(code="N")
    district_url = _url("district", "change", north.pk)
    district_data = admin_form_data(official_client, district_url) | {
        "supervisor_assignments-TOTAL_FORMS": "1",
        "supervisor_assignments-0-user": supervisor.pk,
    }
    user_url = reverse("admin:auth_user_change", args=[clerk.pk])
    user_data = admin_form_data(official_client, user_url) | {"clerk_assignments-0-DELETE": "on"}
    start = last_event_id()

    for url, data in ((station_url, station_data), (district_url, district_data), (user_url, user_data)):
        response = official_client.post(url, data)
        assert response.status_code == 302, url

    events = events_since(start)
    assert [event.action for event in events] == [
        "clerkassignment.create",
        "supervisorassignment.create",
        "clerkassignment.delete",
    ]
    assert all(event.election_id == election.pk for event in events)
    assert list(clerk.clerk_assignments.values_list("station__code", flat=True)) == ["S-001"]
    assert SupervisorAssignment.objects.filter(user=supervisor, district=north).exists()


def test_bulk_delete_writes_one_event_per_object(
    official_client: Client, election: Election, results_changes: ResultsChanges
) -> None:
    spares = [Party.objects.create(election=election, name=f"Spare {n}", abbreviation=f"S{n}") for n in (1, 2)]
    start = last_event_id()

    response = official_client.post(
        _url("party", "changelist"),
        {"action": "delete_selected", "_selected_action": [party.pk for party in spares], "post": "yes"},
    )

    assert response.status_code == 302
    assert [event.action for event in events_since(start)] == ["party.delete", "party.delete"]
    assert not Party.objects.filter(pk__in=[party.pk for party in spares]).exists()
    assert results_changes.noted_elections() == {election.pk}


def test_status_actions_are_audited_and_note_the_results(
    official_client: Client, election: Election, results_changes: ResultsChanges
) -> None:
    start = last_event_id()
    response = official_client.post(
        _url("election", "changelist"),
        {"action": "open_elections", "_selected_action": [election.pk], "confirmed": "yes"},
    )
    assert response.status_code == 302
    (event,) = events_since(start)
    assert (event.action, event.before, event.after) == (
        "election.open",
        {"status": "draft", "results_visibility": "hidden"},
        {"status": "open", "results_visibility": "hidden"},
    )
    assert results_changes.noted_elections() == {election.pk}


def test_a_refusal_of_a_service_is_an_error_message_not_a_server_error(
    official_client: Client, election: Election
) -> None:
    final = Election.objects.create(name="Done", slug="done", date=dt.date(2025, 1, 1))
    Election.objects.filter(pk=final.pk).update(status="certified", results_visibility="official")
    data = admin_form_data(official_client, _url("district", "add")) | {
        "election": final.pk,
        "code": "LATE",
        "name": "Late",
    }

    response = official_client.post(_url("district", "add"), data, follow=True)

    assert response.status_code == 200
    assert any("is certified" in message for message in messages_of(response))
    assert not District.objects.filter(code="LATE").exists()
    assert not AuditEvent.objects.exists()


def test_a_bulk_delete_with_one_refused_object_deletes_none(
    rf: RequestFactory, official: User, election: Election
) -> None:
    kept = Party.objects.create(election=election, name="Spare", abbreviation="SP")
    final = Election.objects.create(name="Done", slug="done", date=dt.date(2025, 1, 1))
    refused = Party.objects.create(election=final, name="Spare", abbreviation="SP")
    Election.objects.filter(pk=final.pk).update(status="certified", results_visibility="official")
    request = rf.post("/")
    request.user = official

    with pytest.raises(ConfigurationRefused, match="is certified"):
        admin.site._registry[Party].delete_queryset(request, Party.objects.filter(name="Spare").order_by("pk"))

    assert Party.objects.filter(pk__in=[kept.pk, refused.pk]).count() == 2
    assert not AuditEvent.objects.exists()


def test_a_bulk_delete_touching_a_certified_election_is_forbidden(official_client: Client, election: Election) -> None:
    spare = Party.objects.create(election=election, name="Spare", abbreviation="SP")
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")

    response = official_client.post(
        _url("party", "changelist"), {"action": "delete_selected", "_selected_action": [spare.pk], "post": "yes"}
    )

    assert response.status_code == 403
    assert Party.objects.filter(pk=spare.pk).exists()


def test_a_certified_election_refuses_every_admin_change(official_client: Client, election: Election) -> None:
    pages = {model: _url(model, "change", _existing(model, election).pk) for model in MODELS}
    forms = {model: admin_form_data(official_client, url) for model, url in pages.items()}
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")

    for model, url in pages.items():
        assert official_client.post(url, forms[model]).status_code == 403, model
        obj = _existing(model, election)
        assert official_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403, model
    assert not AuditEvent.objects.exists()


def test_the_counting_method_is_read_only_once_the_election_is_open(
    official_client: Client, election: Election, official: User
) -> None:
    from elections.services import open_election

    url = _url("election", "change", election.pk)
    assert "counting_method" in official_client.get(url).context["adminform"].form.fields
    data = admin_form_data(official_client, url)
    open_election(election=election, actor=official)

    assert "counting_method" not in official_client.get(url).context["adminform"].form.fields
    response = official_client.post(url, data | {"counting_method": "ballots", "name": "Renamed"})

    assert response.status_code == 302
    assert Election.objects.values_list("counting_method", "name").get(pk=election.pk) == ("tally_sheets", "Renamed")


# --- staff accounts -----------------------------------------------------------------------------------------------


def test_adding_and_changing_an_account_in_the_admin_is_audited_without_a_password(
    official_client: Client, election: Election
) -> None:
    add = reverse("admin:auth_user_add")
    data = admin_form_data(official_client, add) | {
        "username": "new-clerk",
        "usable_password": "true",
        "password1": "a-long-clerk-passphrase-7",
        "password2": "a-long-clerk-passphrase-7",
    }
    start = last_event_id()
    assert official_client.post(add, data).status_code == 302
    user = User.objects.get(username="new-clerk")
    change = reverse("admin:auth_user_change", args=[user.pk])
    data = admin_form_data(official_client, change) | {
        "first_name": "Nour",
        "groups": [Group.objects.get(name="Clerks").pk],
    }
    assert official_client.post(change, data).status_code == 302

    events = events_since(start)
    assert [event.action for event in events] == ["user.create", "user.change", "user.group_add"]
    assert events[1].after == {"first_name": "Nour"}
    assert events[2].after == {"groups": ["Clerks"]}
    assert all("password" not in str(event.before) + str(event.after) for event in events)
    assert user.check_password("a-long-clerk-passphrase-7")


def test_changing_a_password_in_the_admin_is_audited_without_the_secret(official_client: Client, clerk: User) -> None:
    url = reverse("admin:auth_user_password_change", args=[clerk.pk])
    response = official_client.post(
        url,
        {"password1": "a-brand-new-passphrase-3", "password2": "a-brand-new-passphrase-3", "usable_password": "true"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.password")
    assert (event.actor_name, event.before, event.after) == (
        "official",
        {"usable_password": True},
        {"usable_password": True},
    )
    clerk.refresh_from_db()
    assert clerk.check_password("a-brand-new-passphrase-3")


def test_an_official_cannot_take_over_a_superuser_in_the_admin(official_client: Client) -> None:
    root = User.objects.create_superuser(username="root", password="a-root-passphrase-1")
    password = official_client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "an-attackers-passphrase-9", "password2": "an-attackers-passphrase-9", "usable_password": "true"},
    )
    change = official_client.post(reverse("admin:auth_user_change", args=[root.pk]), {"username": "owned"})

    assert (password.status_code, change.status_code) == (403, 403)
    root.refresh_from_db()
    assert root.username == "root"
    assert root.check_password("a-root-passphrase-1")
    assert not AuditEvent.objects.exists()


def test_a_superuser_changes_a_superusers_password_in_the_admin(client: Client) -> None:
    root = User.objects.create_superuser(username="root", password="a-root-passphrase-1")
    other = User.objects.create_superuser(username="other-root", password="another-root-passphrase-1")
    client.force_login(root)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[other.pk]),
        {"password1": "a-fresh-root-passphrase-4", "password2": "a-fresh-root-passphrase-4", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="user.password").actor_name == "root"


def test_removing_a_certified_elections_assignment_on_the_user_page_is_refused_with_a_message(
    official_client: Client, election: Election, clerk: User
) -> None:
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    data = admin_form_data(official_client, url) | {"first_name": "Changed", "clerk_assignments-0-DELETE": "on"}
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")

    response = official_client.post(url, data, follow=True)

    assert response.status_code == 200
    assert any("is certified" in message for message in messages_of(response))
    clerk.refresh_from_db()
    assert clerk.first_name == ""
    assert clerk.clerk_assignments.exists()
    assert not AuditEvent.objects.exists()
