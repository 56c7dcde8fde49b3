"""An import writes each row through its model's configuration service, so the rules, the audit log and the
public results treat it like any other change."""

from __future__ import annotations

from typing import Any

import pytest
import tablib
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from import_export.formats.base_formats import CSV

from elections.models import Election, PollingStation
from elections.resources import PollingStationResource, normalise_header
from elections.tests.support import ResultsChanges, events_since, last_event_id
from elections.uploads import read_upload

pytestmark = pytest.mark.django_db

STATIONS = (
    b"code,name,name_ar,district,registered_voters,latitude,longitude\r\n"
    b"N-001,North School,,N,820,,\r\n"
    b"N-010,New Hall,,N,120,,\r\n"
    b"S-010,South Mosque,,S,450,,\r\n"
)


def _preview(client: Client, election: Election) -> Any:
    return client.post(
        reverse("admin:elections_pollingstation_import"),
        {
            "resource": "0",
            "election": election.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("stations.csv", STATIONS),
        },
    )


def test_each_imported_row_has_its_event_and_the_results_are_noted_once(
    official_client: Client, election: Election, results_changes: ResultsChanges
) -> None:
    start = last_event_id()
    preview = _preview(official_client, election)
    assert events_since(start) == []
    assert results_changes.noted == []

    official_client.post(
        reverse("admin:elections_pollingstation_process_import"), preview.context["confirm_form"].initial
    )

    events = events_since(start)
    assert [event.action for event in events] == [
        "pollingstation.change",
        "pollingstation.create",
        "pollingstation.create",
        "import.pollingstation",
    ]
    assert (events[0].before, events[0].after) == ({"registered_voters": 800}, {"registered_voters": 820})
    assert {event.actor_name for event in events} == {"official"}
    assert {event.client_address for event in events} == {"127.0.0.1"}
    assert [change.election_id for change in results_changes.noted] == [election.pk]


class StationsWithoutTheUploadCheck(PollingStationResource):
    """The stations resource without its own refusal of a certified election, as a script might load rows."""

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        dataset.headers = [normalise_header(header) for header in dataset.headers or []]


def test_the_service_refuses_every_row_of_a_certified_election(election: Election, official: User) -> None:
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")
    start = last_event_id()

    result = StationsWithoutTheUploadCheck(election=election, actor=official).import_data(
        read_upload(STATIONS, CSV), dry_run=False
    )

    assert len(result.invalid_rows) == 3
    assert all("is certified" in str(row.error_dict) for row in result.invalid_rows)
    assert PollingStation.objects.get(election=election, code="N-001").registered_voters == 800
    assert not PollingStation.objects.filter(code__in=["N-010", "S-010"]).exists()
    assert events_since(start) == []


def test_an_import_needs_an_official(election: Election, clerk: User) -> None:
    result = PollingStationResource(election=election, actor=clerk).import_data(
        read_upload(STATIONS, CSV), dry_run=False
    )

    assert len(result.invalid_rows) == 3
    assert not PollingStation.objects.filter(code="N-010").exists()
