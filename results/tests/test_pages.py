"""Public pages: shown only for published results, served from the cached snapshot without tally queries."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ballots.models import TallySheet
from ballots.services import quarantine_sheet
from elections.models import Contest, Election, PollingStation
from results.snapshot import Snapshot
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(
    published: Election,
    station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> Election:
    """The published election with two stations in, one of them corrected and then quarantined; stations placed."""
    for index, placed in enumerate(PollingStation.objects.filter(election=published).order_by("code")):
        PollingStation.objects.filter(pk=placed.pk).update(latitude=31.9 + index / 100, longitude=35.9 + index / 50)
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[412, 388], key=new_key())
        enter_sheet(station=south_station, contest=contest, actor=official, votes=[5, 9], key=new_key())
        enter_sheet(
            station=south_station, contest=contest, actor=official, votes=[6, 9], key=new_key(), reason="Miscounted"
        )
        sheet = TallySheet.objects.get(station=south_station, status="accepted")
        quarantine_sheet(sheet=sheet, reason="Seal broken on the box", actor=official, idempotency_key=new_key())
    return published


def pages(slug: str) -> list[str]:
    return [
        f"/results/{slug}/",
        f"/results/{slug}/contest/mayor/",
        f"/results/{slug}/district/N/",
        f"/results/{slug}/station/N-001/",
    ]


def test_pages_of_hidden_results_are_not_found(open_vote: Election, client: Client) -> None:
    for url in pages(open_vote.slug):
        assert client.get(url).status_code == 404


def test_unknown_election_contest_district_and_station_are_not_found(reported: Election, client: Client) -> None:
    for url in ["/results/nope/", "/results/test-election/contest/nope/", "/results/test-election/district/X/",
                "/results/test-election/station/X-9/"]:  # fmt: skip
        assert client.get(url).status_code == 404


def test_overview_shows_provisional_badge_numbers_chart_text_and_map(reported: Election, client: Client) -> None:
    response = client.get(f"/results/{reported.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Provisional" in html
    assert "412" in html
    assert "388" in html
    assert '<th scope="col">' in html
    assert "<svg" in html
    assert "station-map__dot" in html
    assert "Seal broken on the box" in html  # quarantined stations are listed apart
    assert 'data-live-part="contest-mayor"' in html
    assert response["Cache-Control"].startswith("public") or "public" in response["Cache-Control"]


def test_cached_pages_run_no_query(reported: Election, client: Client, django_assert_num_queries) -> None:
    client.get(f"/results/{reported.slug}/")  # warm
    for url in pages(reported.slug)[:3]:
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200


def test_a_first_visit_to_any_results_page_sets_no_cookie_so_a_shared_cache_may_keep_it(reported: Election) -> None:
    for url in pages(reported.slug):
        response = Client(enforce_csrf_checks=True).get(url)
        assert response.status_code == 200, url
        assert not response.cookies, url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == "public, max-age=1"


def test_station_page_shows_correction_history_and_quarantine_reason_without_clerk_names_or_notes(
    reported: Election, client: Client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(4):
        html = client.get(f"/results/{reported.slug}/station/S-001/").content.decode()
    assert "Tally sheet history" in html
    history = html.split('aria-label="Tally sheet history"')[1].split("</table>")[0]
    assert "First count" in history
    assert "Correction of an earlier count" in history
    assert "Seal broken on the box" in history  # a supervisor's reason, written for the public
    assert "Miscounted" not in html  # the text typed with the correction stays inside
    assert "official" not in history  # the username of whoever entered the sheets


def test_page_in_arabic_is_right_to_left(reported: Election, client: Client) -> None:
    html = client.get(f"/results/{reported.slug}/", headers={"accept-language": "ar"}).content.decode()
    assert 'dir="rtl"' in html
    assert "عمر ناصر" in html


def test_a_page_body_is_built_once_per_version_and_language(
    client: Client,
    reported: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import results.views

    builds: list[int] = []
    real = results.views.overview_context

    def counting(snapshot: Snapshot) -> dict:
        builds.append(snapshot["version"])
        return real(snapshot)

    monkeypatch.setattr(results.views, "overview_context", counting)
    url = f"/results/{reported.slug}/"
    first = client.get(url).content.decode()
    second = client.get(url).content.decode()
    assert len(builds) == 1
    assert "412" in first
    assert "412" in second  # the cached body, in a page of its own (the CSRF token still differs per response)
    client.get(url, HTTP_ACCEPT_LANGUAGE="ar")
    assert len(builds) == 2  # another language is another body

    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[500, 300], key=new_key(), reason="Recount")
    third = client.get(url).content.decode()
    assert len(builds) == 3  # a new version is built afresh
    assert "500" in third


def test_every_page_links_the_icon_and_the_audit_record_and_favicon_ico_leads_to_it(
    reported: Election, client: Client
) -> None:
    html = client.get(f"/results/{reported.slug}/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in html
    assert '<a href="/audit/checkpoints/">Audit record</a>' in html
    assert "(version" not in html  # the snapshot's number stays in data attributes
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
