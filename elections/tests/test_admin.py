"""Officials configure elections in the admin: lists, counts, confirmed status actions, final certified elections."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from elections.models import Contest, Election, PollingStation
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:elections_election_changelist",
    "admin:elections_district_changelist",
    "admin:elections_pollingstation_changelist",
    "admin:elections_party_changelist",
    "admin:elections_contest_changelist",
    "admin:elections_candidate_changelist",
    "admin:trust_auditevent_changelist",
    "admin:auth_user_changelist",
]


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_official_can_open_every_admin_list(official_client: Client, election: Election, url_name: str) -> None:
    response = official_client.get(reverse(url_name))
    assert response.status_code == 200


def test_election_list_shows_per_object_counts(official_client: Client, election: Election) -> None:
    response = official_client.get(reverse("admin:elections_election_changelist"))
    row = response.context["cl"].result_list.get(pk=election.pk)
    assert (row.num_districts, row.num_stations, row.num_contests) == (2, 3, 1)
    assert "Draft" in response.content.decode()


def test_contest_page_edits_candidates_inline(official_client: Client, election: Election) -> None:
    contest = Contest.objects.get(election=election)
    response = official_client.get(reverse("admin:elections_contest_change", args=[contest.pk]))
    assert response.status_code == 200
    assert "Amal Haddad" in response.content.decode()
    assert any(formset.formset.prefix == "candidates" for formset in response.context["inline_admin_formsets"])


def test_station_search_and_autocomplete(official_client: Client, election: Election) -> None:
    response = official_client.get(reverse("admin:elections_pollingstation_changelist"), {"q": "Library"})
    assert [s.code for s in response.context["cl"].result_list] == ["S-001"]
    autocomplete = official_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "elections", "model_name": "pollingstation", "field_name": "district", "term": "Nor"},
    )
    assert autocomplete.status_code == 200
    assert [item["text"] for item in autocomplete.json()["results"]] == ["N North"]


def _run_action(client: Client, action: str, election: Election, *, confirmed: bool):
    data = {"action": action, "_selected_action": [election.pk]}
    if confirmed:
        data["confirmed"] = "yes"
    return client.post(reverse("admin:elections_election_changelist"), data, follow=confirmed)


def test_status_action_asks_for_confirmation_first(official_client: Client, election: Election) -> None:
    response = _run_action(official_client, "open_elections", election, confirmed=False)
    assert response.status_code == 200
    assert "Clerks will be able to enter ballots" in response.content.decode()
    election.refresh_from_db()
    assert election.status == Election.Status.DRAFT


def test_confirmed_action_changes_status_and_is_audited(official_client: Client, election: Election) -> None:
    response = _run_action(official_client, "open_elections", election, confirmed=True)
    assert "Opened for entry: 1 election(s)." in response.content.decode()
    election.refresh_from_db()
    assert election.status == Election.Status.OPEN
    event = AuditEvent.objects.get(action="election.open")
    assert event.actor_name == "official"
    assert event.client_address == "127.0.0.1"


def test_refused_action_explains_why_and_changes_nothing(official_client: Client, election: Election) -> None:
    PollingStation.objects.filter(election=election).delete()
    # Refused before the confirmation page, with the reason on the list.
    preview = _run_action(official_client, "open_elections", election, confirmed=False)
    assert preview.status_code == 302
    listed = official_client.get(preview["Location"]).content.decode()
    assert "cannot be opened: it has no polling stations" in listed
    response = _run_action(official_client, "open_elections", election, confirmed=True)
    assert "cannot be opened: it has no polling stations" in response.content.decode()
    election.refresh_from_db()
    assert election.status == Election.Status.DRAFT


def test_status_cannot_be_edited_in_the_form(official_client: Client, election: Election) -> None:
    url = reverse("admin:elections_election_change", args=[election.pk])
    form = official_client.get(url).context["adminform"].form
    assert "status" not in form.fields
    assert "results_visibility" not in form.fields


def test_certified_election_and_its_parts_are_read_only(official_client: Client, election: Election) -> None:
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")
    station = PollingStation.objects.get(code="N-001")
    url = reverse("admin:elections_pollingstation_change", args=[station.pk])
    response = official_client.post(
        url, {"election": election.pk, "district": station.district_id, "code": "N-001", "name": "Renamed"}
    )
    assert response.status_code == 403
    station.refresh_from_db()
    assert station.name == "North School"
    delete = official_client.post(reverse("admin:elections_election_delete", args=[election.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert Election.objects.filter(pk=election.pk).exists()


def test_audit_log_is_read_only_in_the_admin(official_client: Client, election: Election, official: User) -> None:
    from elections.services import open_election

    open_election(election=election, actor=official)
    event = AuditEvent.objects.get()
    response = official_client.post(reverse("admin:trust_auditevent_change", args=[event.pk]), {"action": "x"})
    assert response.status_code == 403
    assert official_client.get(reverse("admin:trust_auditevent_add")).status_code == 403


def test_official_cannot_grant_superuser(official_client: Client, clerk: User) -> None:
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    form = official_client.get(url).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields


def test_official_assigns_a_clerk_to_stations_on_the_user_page(official_client: Client, clerk: User) -> None:
    station = PollingStation.objects.get(code="S-001")
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    page = official_client.get(url)
    prefixes = {formset.formset.prefix for formset in page.context["inline_admin_formsets"]}
    assert prefixes == {"clerk_assignments", "supervisor_assignments"}
    existing = clerk.clerk_assignments.get()
    data = {
        "username": clerk.username,
        "is_active": "on",
        "groups": [Group.objects.get(name="Clerks").pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-11-01",
        "date_joined_1": "08:00:00",
        "clerk_assignments-TOTAL_FORMS": "2",
        "clerk_assignments-INITIAL_FORMS": "1",
        "clerk_assignments-0-id": existing.pk,
        "clerk_assignments-0-user": clerk.pk,
        "clerk_assignments-0-station": existing.station_id,
        "clerk_assignments-1-user": clerk.pk,
        "clerk_assignments-1-station": station.pk,
        "supervisor_assignments-TOTAL_FORMS": "0",
        "supervisor_assignments-INITIAL_FORMS": "0",
    }
    response = official_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert sorted(clerk.clerk_assignments.values_list("station__code", flat=True)) == ["N-001", "S-001"]


def test_clerk_cannot_reach_the_admin(client: Client, clerk: User) -> None:
    client.force_login(clerk)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_time_zone_is_chosen_from_known_zones(official_client: Client, election: Election) -> None:
    form = official_client.get(reverse("admin:elections_election_change", args=[election.pk])).context["adminform"].form
    choices = dict(form.fields["time_zone"].choices)
    assert "Asia/Amman" in choices
    assert "Mars/Olympus" not in choices


def test_arabic_names_are_typed_right_to_left(official_client: Client, election: Election) -> None:
    contest = Contest.objects.get(election=election)
    page = official_client.get(reverse("admin:elections_contest_change", args=[contest.pk])).content.decode()
    assert 'name="candidates-0-name_ar"' in page
    assert 'dir="rtl" lang="ar"' in page
    (candidate_input,) = re.findall(r'<input[^>]*name="candidates-0-name_ar"[^>]*>', page)
    assert 'dir="rtl"' in candidate_input


def test_supervisors_are_assigned_on_the_district_page(official_client: Client, election: Election) -> None:
    north = election.districts.get(code="N")
    page = official_client.get(reverse("admin:elections_district_change", args=[north.pk]))
    assert {formset.formset.prefix for formset in page.context["inline_admin_formsets"]} == {"supervisor_assignments"}
