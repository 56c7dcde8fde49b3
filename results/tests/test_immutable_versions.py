"""Every public snapshot version at an address that never changes (a CDN may keep it for a year), the small pointer
that names the newest one, and each version's live parts for the pages that missed it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from elections.models import Contest, Election, PollingStation
from elections.services import publish_results
from results.selectors import forget_remembered_snapshots
from results.services import current_version, refresh_tallies
from results.tests.support import enter_sheet
from results.versions import KEPT_VERSIONS

pytestmark = pytest.mark.django_db

BASE = "/api/v1/results/elections"
IMMUTABLE = "public, max-age=31536000, immutable"


def _latest(client: Client, slug: str) -> dict[str, Any]:
    response = client.get(f"{BASE}/{slug}/latest.json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_version_answers_the_same_bytes_for_a_year_with_a_strong_etag(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[3, 4], key=new_key())
    pointer = _latest(client, published.slug)
    version = current_version(election_id=published.pk)
    assert pointer["version"] == version
    assert pointer["url"] == f"{BASE}/{published.slug}/v/{version}.json"

    first = client.get(str(pointer["url"]))
    assert first.status_code == 200
    assert first["Cache-Control"] == IMMUTABLE
    assert first["Access-Control-Allow-Origin"] == "*"
    etag = first["ETag"]
    assert etag.startswith(f'"{version}-')
    assert not etag.startswith("W/")
    body = first.json()
    assert body["version"] == version
    assert [c["votes"] for c in body["contests"][0]["totals"]["candidates"]] == [3, 4]

    # Newer versions, and this process forgetting every snapshot it read: the old version's bytes do not change.
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=other_station, contest=contest, actor=official, votes=[5, 6], key=new_key())
    refresh_tallies(election_id=published.pk)
    forget_remembered_snapshots()
    again = client.get(str(pointer["url"]))
    assert again.content == first.content
    assert again["ETag"] == etag
    assert _latest(client, published.slug)["version"] == current_version(election_id=published.pk) > version

    unchanged = client.get(str(pointer["url"]), headers={"if-none-match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["Cache-Control"] == IMMUTABLE


def test_the_pointer_is_short_lived_and_follows_each_version(published: Election, client: Client) -> None:
    response = client.get(f"{BASE}/{published.slug}/latest.json")
    assert response["Cache-Control"] == "public, max-age=2"
    assert response["Access-Control-Allow-Origin"] == "*"
    before = response.json()["version"]
    assert response["ETag"] == f'"{before}"'
    assert (
        client.get(f"{BASE}/{published.slug}/latest.json", headers={"if-none-match": response["ETag"]}).status_code
        == 304
    )
    refresh_tallies(election_id=published.pk)
    assert _latest(client, published.slug)["version"] == before + 1


def test_a_version_not_yet_counted_is_not_found_and_one_no_longer_kept_is_gone(
    published: Election, client: Client
) -> None:
    first = _latest(client, published.slug)["version"]
    assert isinstance(first, int)
    ahead = client.get(f"{BASE}/{published.slug}/v/{first + 1}.json")
    assert ahead.status_code == 404
    assert ahead.json()["error"]["code"] == "not_found"
    assert ahead.json()["error"]["details"]["latest"] == f"{BASE}/{published.slug}/latest.json"
    assert client.get(f"{BASE}/{published.slug}/v/0.json").status_code == 404
    assert client.get(f"{BASE}/{published.slug}/v/x.json").status_code in (404, 422)

    for _ in range(KEPT_VERSIONS):
        refresh_tallies(election_id=published.pk)
    gone = client.get(f"{BASE}/{published.slug}/v/{first}.json")
    assert gone.status_code == 410
    error = gone.json()["error"]
    assert error["code"] == "version_gone"
    assert "Fetch the newest version" in error["message"]
    assert error["details"]["latest_version"] == first + KEPT_VERSIONS
    # The versions since are all still there.
    assert client.get(f"{BASE}/{published.slug}/v/{first + 1}.json").status_code == 200
    assert client.get(f"{BASE}/{published.slug}/v/{first + KEPT_VERSIONS}.json").status_code == 200


def test_after_the_cache_is_lost_the_pointer_names_a_newly_counted_version_never_a_rebuilt_one(
    published: Election, client: Client
) -> None:
    before = _latest(client, published.slug)["version"]
    kept = client.get(f"{BASE}/{published.slug}/v/{before}.json")
    assert kept.status_code == 200
    cache.clear()
    forget_remembered_snapshots()
    # The rebuilt snapshot has the old number but not necessarily the old bytes: that version is gone, a new one is
    # counted and named instead.
    assert client.get(f"{BASE}/{published.slug}").json()["version"] == before
    assert client.get(f"{BASE}/{published.slug}/v/{before}.json").status_code == 410
    pointer = _latest(client, published.slug)
    assert isinstance(pointer["version"], int)
    assert pointer["version"] > before
    assert client.get(str(pointer["url"])).status_code == 200


def test_hidden_results_have_no_versions_and_versions_counted_while_hidden_stay_unpublished(
    open_vote: Election, official: User, client: Client, django_capture_on_commit_callbacks
) -> None:
    refresh_tallies(election_id=open_vote.pk)
    hidden_version = current_version(election_id=open_vote.pk)
    assert client.get(f"{BASE}/{open_vote.slug}/latest.json").status_code == 404
    assert client.get(f"{BASE}/{open_vote.slug}/v/{hidden_version}.json").status_code == 404
    assert client.get(f"/results/{open_vote.slug}/v/{hidden_version}/en.json").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        publish_results(election=open_vote, actor=official)
    assert client.get(f"{BASE}/{open_vote.slug}/v/{hidden_version}.json").status_code == 410
    assert _latest(client, open_vote.slug)["version"] > hidden_version


def test_a_version_s_live_parts_are_immutable_in_each_language(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[271, 314], key=new_key())
    version = current_version(election_id=published.pk)
    english = client.get(f"/results/{published.slug}/v/{version}/en.json")
    assert english.status_code == 200
    assert english["Cache-Control"] == IMMUTABLE
    assert not english["ETag"].startswith("W/")
    frame = english.json()
    assert frame["version"] == version
    assert frame["full"] is True
    assert "314" in frame["parts"]["contest-mayor"]
    assert "Votes per candidate" in frame["parts"]["contest-mayor"]
    arabic = client.get(f"/results/{published.slug}/v/{version}/ar.json")
    assert arabic.json()["parts"]["contest-mayor"] != frame["parts"]["contest-mayor"]
    assert 'lang="ar"' not in english.content.decode()

    refresh_tallies(election_id=published.pk)
    assert client.get(f"/results/{published.slug}/v/{version}/en.json").content == english.content
    assert client.get(f"/results/{published.slug}/v/{version + 5}/en.json").status_code == 404
    assert client.get(f"/results/{published.slug}/v/{version}/fr.json").status_code == 404


def test_the_openapi_document_declares_the_pointer_and_the_versions(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    version_path = paths["/api/v1/results/elections/{slug}/v/{version}.json"]["get"]
    assert set(version_path["responses"]) >= {"200", "304", "404", "410"}
    assert "/api/v1/results/elections/{slug}/latest.json" in paths
