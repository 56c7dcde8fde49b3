"""What an official meets in the admin: an irreversible status action is refused before its confirmation page when
it cannot happen, the election list fits its counts into few columns, and inline fields are named for screen
readers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from elections.models import Election
from elections.services import close_election, open_election, publish_results
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:elections_election_changelist"
CONFIRMATION = "admin/elections/confirm_status_change.html"


def _post_action(client: Client, action: str, *elections: Election, confirmed: bool = False):
    data: dict[str, object] = {"action": action, "_selected_action": [election.pk for election in elections]}
    if confirmed:
        data["confirmed"] = "yes"
    return client.post(reverse(CHANGELIST), data)


def _templates(response) -> list[str]:
    return [template.name for template in response.templates]


def _messages(client: Client, response) -> str:
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def _closed(election: Election, official: User) -> Election:
    open_election(election=election, actor=official)
    return close_election(election=election, actor=official)


def test_certifying_an_open_election_is_refused_before_the_confirmation_page(
    official_client: Client, official: User, election: Election
) -> None:
    open_election(election=election, actor=official)

    response = _post_action(official_client, "certify_elections", election)

    assert CONFIRMATION not in _templates(response)
    listed = _messages(official_client, response)
    assert (
        "Test Election cannot be certified: it is Open for entry, and only a closed election can be certified."
        in listed
    )
    assert "Yes, Certify results as official" not in listed
    election.refresh_from_db()
    assert election.status == Election.Status.OPEN


def test_certifying_a_closed_election_asks_for_confirmation_and_confirming_certifies(
    official_client: Client, official: User, election: Election
) -> None:
    _closed(election, official)

    preview = _post_action(official_client, "certify_elections", election)

    assert preview.status_code == 200
    assert CONFIRMATION in _templates(preview)
    assert "can never be changed again" in preview.content.decode()
    election.refresh_from_db()
    assert election.status == Election.Status.CLOSED

    confirmed = _post_action(official_client, "certify_elections", election, confirmed=True)

    assert "Certified: 1 election(s)." in _messages(official_client, confirmed)
    election.refresh_from_db()
    assert (election.status, election.results_visibility) == ("certified", "official")
    assert AuditEvent.objects.filter(action="election.certify", object_id=str(election.pk)).count() == 1


def test_with_several_elections_each_refusal_is_named_and_only_the_others_are_confirmed(
    official_client: Client, official: User, election: Election
) -> None:
    _closed(election, official)
    draft = Election.objects.create(name="Spring By-election", slug="spring", date=dt.date(2027, 3, 1))

    preview = _post_action(official_client, "certify_elections", election, draft)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Spring By-election cannot be certified: it is Draft" in page
    assert "1 of the chosen elections cannot change and is left out" in page
    assert [e.pk for e in preview.context["elections"]] == [election.pk]
    assert f'name="_selected_action" value="{draft.pk}"' not in page


def test_when_no_chosen_election_can_change_each_is_named_on_the_list(
    official_client: Client, election: Election
) -> None:
    other = Election.objects.create(name="Spring By-election", slug="spring", date=dt.date(2027, 3, 1))

    response = _post_action(official_client, "certify_elections", election, other)

    listed = _messages(official_client, response)
    assert "Test Election cannot be certified: it is Draft" in listed
    assert "Spring By-election cannot be certified: it is Draft" in listed


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("close_elections", "Test Election cannot be closed: it is Draft, and only an open election can be closed."),
        ("publish_results", "Results of Test Election cannot be published: it is Draft."),
    ],
)
def test_closing_or_publishing_a_draft_is_refused_before_the_confirmation_page(
    official_client: Client, election: Election, action: str, reason: str
) -> None:
    response = _post_action(official_client, action, election)

    assert CONFIRMATION not in _templates(response)
    assert reason in _messages(official_client, response)


def test_publishing_results_twice_is_refused_before_the_confirmation_page(
    official_client: Client, official: User, election: Election
) -> None:
    open_election(election=election, actor=official)
    publish_results(election=election, actor=official)

    response = _post_action(official_client, "publish_results", election)

    assert "Results of Test Election are already public (Provisional)." in _messages(official_client, response)


def test_opening_an_election_without_stations_is_refused_before_the_confirmation_page(
    official_client: Client, election: Election
) -> None:
    election.stations.all().delete()

    response = _post_action(official_client, "open_elections", election)

    assert "Test Election cannot be opened: it has no polling stations" in _messages(official_client, response)


def test_opening_a_ready_draft_asks_for_confirmation(official_client: Client, election: Election) -> None:
    preview = _post_action(official_client, "open_elections", election)

    assert CONFIRMATION in _templates(preview)
    assert "Clerks will be able to enter ballots" in preview.content.decode()


def test_election_list_keeps_every_count_in_one_column_of_links(official_client: Client, election: Election) -> None:
    response = official_client.get(reverse(CHANGELIST))

    assert response.context["cl"].list_display == [
        "action_checkbox",
        "name",
        "date",
        "status_badges",
        "counting",
        "contents",
    ]
    page = response.content.decode()
    assert f'?election__id__exact={election.pk}">2 districts</a>' in page
    assert f'?election__id__exact={election.pk}">3 polling stations</a>' in page
    assert f'?election__id__exact={election.pk}">1 contest</a>' in page
    assert "results hidden" in page


def test_inline_row_fields_carry_their_column_name(official_client: Client, election: Election) -> None:
    response = official_client.get(reverse("admin:elections_election_change", args=[election.pk]))

    page = response.content.decode()
    name = re.search(r'<input[^>]*name="contests-0-name"[^>]*>', page)
    delete = re.search(r'<input[^>]*name="contests-0-DELETE"[^>]*>', page)
    assert name is not None
    assert 'aria-label="Name"' in name.group()
    assert delete is not None
    assert 'aria-label="Delete"' in delete.group()
    assert 'data-placeholder="Type to search…"' in page


def test_election_history_reads_as_words(official_client: Client, official: User, election: Election) -> None:
    open_election(election=election, actor=official)

    response = official_client.get(reverse("admin:elections_election_change", args=[election.pk]))

    assert re.search(r"Opened for entry — <bdi>official</bdi>", response.content.decode())
