"""Open data: the snapshot with its version as ETag, 304 on a match, CORS for reading, safe CSV, NIST JSON."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from elections.models import Contest, Election, PollingStation
from results.services import refresh_tallies
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db

BASE = "/api/v1/results/elections"


def test_snapshot_carries_its_version_as_etag_and_answers_304_when_unchanged(
    published: Election, client: Client
) -> None:
    first = client.get(f"{BASE}/{published.slug}")
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag == f'"{first.json()["version"]}"'
    assert first["Access-Control-Allow-Origin"] == "*"
    assert "max-age=" in first["Cache-Control"]
    again = client.get(f"{BASE}/{published.slug}", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    refresh_tallies(election_id=published.pk)
    changed = client.get(f"{BASE}/{published.slug}", headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_hidden_results_are_not_found_in_the_error_shape(open_vote: Election, client: Client) -> None:
    response = client.get(f"{BASE}/{open_vote.slug}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert open_vote.slug not in client.get(BASE).content.decode()


def test_contest_and_station_endpoints(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[3, 4], key=new_key())
    body = client.get(f"{BASE}/{published.slug}/contests/mayor").json()
    assert [c["votes"] for c in body["contest"]["totals"]["candidates"]] == [3, 4]
    body = client.get(f"{BASE}/{published.slug}/stations/N-001").json()
    assert body["results"][0]["votes"] == [3, 4]
    assert client.get(f"{BASE}/{published.slug}/stations/NOPE").status_code == 404
    assert published.slug in client.get(BASE).content.decode()


def test_csv_export_cannot_inject_formulas(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    PollingStation.objects.filter(pk=station.pk).update(name='=HYPERLINK("http://evil")')
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[3, 4], key=new_key())
    response = client.get(f"{BASE}/{published.slug}/stations.csv")
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text
    assert '"=HYPERLINK' not in text


def test_nist_report_lists_contests_and_counts(published: Election, client: Client) -> None:
    report = client.get(f"{BASE}/{published.slug}/nist.json").json()
    assert report["@type"] == "ElectionResults.ElectionReport"
    contest = report["Election"][0]["Contest"][0]
    assert contest["@type"] == "ElectionResults.CandidateContest"
    assert len(contest["ContestSelection"]) == 2


def test_open_data_is_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/results/elections/{slug}" in paths
