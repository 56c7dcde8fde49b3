"""Officials configure a real election's shapes in the admin: electoral districts chosen by search with the stations
they cover, vote types while the election is a draft, contests over one area, write-ins and unknown station sizes.
Every save goes through a service and leaves its audit event."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from elections import services
from elections.models import Candidate, Contest, Election, ElectoralDistrict, PollingStation, VoteType
from elections.tests.support import admin_form_data, events_since, last_event_id, messages_of

pytestmark = pytest.mark.django_db


def _url(model: str, view: str, *args: Any) -> str:
    return reverse(f"admin:elections_{model}_{view}", args=args)


@pytest.fixture
def area(election: Election) -> ElectoralDistrict:
    """HD-1: the district North, with a ward inside it holding one more station, and the station S-001."""
    north = election.districts.get(code="N")
    ward = election.districts.create(code="N-W", name="North ward", parent=north)
    election.stations.create(district=ward, code="NW-1", name="Ward box", registered_voters=10)
    area = ElectoralDistrict.objects.create(election=election, code="HD-1", name="House District 1")
    area.districts.add(north)
    area.stations.add(election.stations.get(code="S-001"))
    return area


@pytest.mark.parametrize("model", ["electoraldistrict", "votetype"])
def test_officials_list_import_and_export_the_new_kinds(
    official_client: Client, area: ElectoralDistrict, model: str
) -> None:
    changelist = official_client.get(_url(model, "changelist"))

    assert changelist.status_code == 200
    assert _url(model, "import") in changelist.content.decode()
    assert official_client.get(_url(model, "import")).status_code == 200
    assert official_client.get(_url(model, "export")).status_code == 200


def test_the_list_and_the_page_of_an_electoral_district_say_how_many_stations_vote_in_it(
    official_client: Client, area: ElectoralDistrict
) -> None:
    changelist = official_client.get(_url("electoraldistrict", "changelist"))
    page = official_client.get(_url("electoraldistrict", "change", area.pk))

    # North's two stations, the ward's station inside North, and S-001.
    assert [(row.code, row.covered_station_count) for row in changelist.context["cl"].result_list] == [("HD-1", 4)]
    assert "4 polling stations: those of its districts, at any depth, and its own." in page.content.decode()


def test_an_electoral_district_added_in_the_admin_has_one_event_with_its_members(
    official_client: Client, election: Election
) -> None:
    south, n_001 = election.districts.get(code="S"), election.stations.get(code="N-001")
    data = admin_form_data(official_client, _url("electoraldistrict", "add")) | {
        "election": election.pk,
        "code": "SD-1",
        "name": "School District 1",
        "districts": [south.pk],
        "stations": [n_001.pk],
    }
    start = last_event_id()

    response = official_client.post(_url("electoraldistrict", "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    (event,) = events_since(start)
    assert event.action == "electoraldistrict.create"
    assert event.after is not None
    assert (event.after["districts"], event.after["stations"]) == ([south.pk], [n_001.pk])


def test_members_of_another_election_get_an_error_beside_their_field(
    official_client: Client, election: Election
) -> None:
    other = Election.objects.create(name="Other", slug="other", date=election.date)
    stranger = other.stations.create(district=other.districts.create(code="O", name="Other"), code="O-1", name="Away")
    data = admin_form_data(official_client, _url("electoraldistrict", "add")) | {
        "election": election.pk,
        "code": "SD-1",
        "name": "School District 1",
        "districts": [],
        "stations": [stranger.pk],
    }

    response = official_client.post(_url("electoraldistrict", "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"stations": ["These belong to another election: O-1 Away."]}
    assert not ElectoralDistrict.objects.exists()


def test_a_contest_given_a_district_and_an_electoral_district_gets_one_error_beside_the_field(
    official_client: Client, election: Election, area: ElectoralDistrict
) -> None:
    contest = election.contests.get()
    url = _url("contest", "change", contest.pk)
    data = admin_form_data(official_client, url) | {
        "district": election.districts.get(code="S").pk,
        "electoral_district": area.pk,
    }

    response = official_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "electoral_district": ["Choose a district or an electoral district, not both."]
    }
    assert Contest.objects.values_list("district", "electoral_district").get(pk=contest.pk) == (None, None)


def test_a_ballot_measure_over_an_electoral_district_is_added_with_its_threshold(
    official_client: Client, election: Election, area: ElectoralDistrict
) -> None:
    data = admin_form_data(official_client, _url("contest", "add")) | {
        "election": election.pk,
        "name": "School bond",
        "slug": "school-bond",
        "kind": "measure",
        "electoral_district": area.pk,
        "threshold": "0.6667",
        "candidates-0-ballot_order": "1",
        "candidates-0-name_en": "Yes",
    }
    refused = official_client.post(_url("contest", "add"), data | {"kind": "candidates"})
    assert refused.context["adminform"].form.errors == {"threshold": ["Only a ballot measure has a threshold."]}

    response = official_client.post(_url("contest", "add"), data)

    assert response.status_code == 302
    bond = Contest.objects.get(slug="school-bond")
    assert (bond.kind, str(bond.threshold), bond.electoral_district) == ("measure", "0.6667", area)
    assert list(bond.candidates.values_list("name_en", "name_ar")) == [("Yes", "")]


def test_contest_pages_find_electoral_districts_by_search(official_client: Client, area: ElectoralDistrict) -> None:
    response = official_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "elections", "model_name": "contest", "field_name": "electoral_district", "term": "House"},
    )

    assert [item["text"] for item in response.json()["results"]] == ["HD-1 House District 1"]


def test_vote_types_are_edited_inline_on_a_draft_election_then_only_shown(
    official_client: Client, official: User, election: Election
) -> None:
    url = _url("election", "change", election.pk)
    data = admin_form_data(official_client, url) | {
        "vote_types-TOTAL_FORMS": "1",
        "vote_types-0-position": "1",
        "vote_types-0-code": "ED",
        "vote_types-0-name": "Election day",
        "vote_types-0-nist_type": "election-day",
        "counts_undervotes_and_overvotes": "on",
    }
    start = last_event_id()

    assert official_client.post(url, data).status_code == 302

    assert [event.action for event in events_since(start)] == ["election.change", "votetype.create"]
    services.open_election(election=election, actor=official)
    page = official_client.get(url)
    (vote_types,) = [
        inline for inline in page.context["inline_admin_formsets"] if inline.formset.prefix == "vote_types"
    ]
    assert not vote_types.has_add_permission
    assert not vote_types.has_change_permission
    assert {"counts_blank_and_invalid", "counts_undervotes_and_overvotes"}.isdisjoint(
        page.context["adminform"].form.fields
    )
    vote_type = VoteType.objects.get(election=election)
    assert official_client.post(_url("votetype", "change", vote_type.pk), {"name": "Polling day"}).status_code == 403


def test_a_vote_type_added_for_an_open_election_is_refused_with_a_message(
    official_client: Client, official: User, election: Election
) -> None:
    services.open_election(election=election, actor=official)
    data = admin_form_data(official_client, _url("votetype", "add")) | {
        "election": election.pk,
        "code": "MAIL",
        "name": "Mail",
        "nist_type": "absentee-mail",
    }

    response = official_client.post(_url("votetype", "add"), data, follow=True)

    assert any("The vote types of “Test Election” can no longer change" in message for message in messages_of(response))
    assert not VoteType.objects.exists()


def test_a_station_of_unknown_size_and_a_write_in_line_are_added_in_the_admin(
    official_client: Client, election: Election
) -> None:
    station_data = admin_form_data(official_client, _url("pollingstation", "add")) | {
        "election": election.pk,
        "district": election.districts.get(code="S").pk,
        "code": "S-002",
        "name": "New hall",
        "registered_voters": "",
    }
    candidate_data = admin_form_data(official_client, _url("candidate", "add")) | {
        "contest": election.contests.get().pk,
        "name_en": "Write-ins",
        "name_ar": "",
        "ballot_order": "3",
        "is_write_in": "on",
    }

    assert official_client.post(_url("pollingstation", "add"), station_data).status_code == 302
    assert official_client.post(_url("candidate", "add"), candidate_data).status_code == 302

    assert PollingStation.objects.get(code="S-002").registered_voters is None
    assert Candidate.objects.values_list("name_ar", "is_write_in").get(name_en="Write-ins") == ("", True)


def test_deleting_an_electoral_district_in_the_admin_is_audited(
    official_client: Client, area: ElectoralDistrict
) -> None:
    start = last_event_id()

    response = official_client.post(_url("electoraldistrict", "delete", area.pk), {"post": "yes"})

    assert response.status_code == 302
    (event,) = events_since(start)
    assert event.action == "electoraldistrict.delete"
    assert not ElectoralDistrict.objects.exists()
