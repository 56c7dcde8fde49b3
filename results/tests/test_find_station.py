"""The "find my polling station" search: by code or name, in English or Arabic (any case, letter variant or
diacritics), among a public election's stations only; a code typed whole leads straight to its page; a bounded answer
at no query."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from elections.models import District, Election, PollingStation
from elections.services import open_election, publish_results
from results.station_search import normalise

pytestmark = pytest.mark.django_db

MANY = 30


@pytest.fixture
def findable(election: Election, official: User, django_capture_on_commit_callbacks) -> Election:
    """The shared election with Arabic station names and many halls, opened and published."""
    PollingStation.objects.filter(code="N-001").update(name_ar="مدرسة الشمال")
    PollingStation.objects.filter(code="S-001").update(name_ar="مكتبة الجنوب")
    east = District.objects.create(election=election, code="E", name="East", name_ar="الشرق")
    PollingStation.objects.bulk_create(
        PollingStation(
            election=election, district=east, code=f"E-{n:03d}", name=f"East Hall {n}", registered_voters=100
        )
        for n in range(1, MANY + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        election = open_election(election=election, actor=official)
        return publish_results(election=election, actor=official)


def test_a_code_typed_whole_in_any_case_leads_straight_to_its_station(findable: Election, client: Client) -> None:
    for typed in ["N-001", "n-001", " n-001 ", "N001", "n-٠٠١"]:
        response = client.get(f"/results/{findable.slug}/find-station/", {"q": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == f"/results/{findable.slug}/station/N-001/"


def test_a_name_lists_every_matching_station_linked_to_its_page(findable: Election, client: Client) -> None:
    response = client.get(f"/results/{findable.slug}/find-station/", {"q": "north"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/results/{findable.slug}/station/N-001/"' in html
    assert f'href="/results/{findable.slug}/station/N-002/"' in html
    assert "S-001" not in html
    assert "Polling stations matching" in html


def test_part_of_a_code_lists_the_stations_it_starts(findable: Election, client: Client) -> None:
    html = client.get(f"/results/{findable.slug}/find-station/", {"q": "n-00"}).content.decode()
    assert "/station/N-001/" in html
    assert "/station/N-002/" in html
    assert "/station/S-001/" not in html


@pytest.mark.parametrize("typed", ["مدرسة", "مدرسه", "مَدْرَسَة", "الشمال", "شمال", "مدرسة الشمال"])
def test_arabic_names_are_found_whatever_the_letter_variants_and_diacritics(
    findable: Election, client: Client, typed: str
) -> None:
    body = client.get(f"/results/{findable.slug}/find-station/suggestions/", {"q": typed}).json()
    assert [s["code"] for s in body["stations"]] == ["N-001"], typed


def test_an_arabic_page_finds_english_names_and_shows_arabic_ones(findable: Election, client: Client) -> None:
    client.cookies["django_language"] = "ar"
    html = client.get(f"/results/{findable.slug}/find-station/", {"q": "library"}).content.decode()
    assert "مكتبة الجنوب" in html
    assert 'dir="rtl"' in html


def test_nothing_found_says_so_and_an_empty_query_shows_the_form(findable: Election, client: Client) -> None:
    html = client.get(f"/results/{findable.slug}/find-station/", {"q": "zzz"}).content.decode()
    assert "No polling station matches" in html
    empty = client.get(f"/results/{findable.slug}/find-station/")
    assert empty.status_code == 200
    assert 'name="q"' in empty.content.decode()
    assert "Polling stations matching" not in empty.content.decode()


def test_suggestions_are_few_and_say_when_more_match(findable: Election, client: Client) -> None:
    body = client.get(f"/results/{findable.slug}/find-station/suggestions/", {"q": "hall"}).json()
    assert len(body["stations"]) == 8
    assert body["more"] is True
    assert body["stations"][0] == {
        "code": "E-001",
        "name": "East Hall 1",
        "district": "East",
        "url": f"/results/{findable.slug}/station/E-001/",
    }
    page = client.get(f"/results/{findable.slug}/find-station/", {"q": "east hall"}).content.decode()
    assert page.count("/station/E-0") == MANY


def test_a_keystroke_runs_no_query_once_the_results_are_cached(
    findable: Election, client: Client, django_assert_num_queries
) -> None:
    client.get(f"/results/{findable.slug}/")  # the snapshot is cached
    for typed in ["e", "ea", "eas", "east", "east h", "n-001"]:
        with django_assert_num_queries(0):
            response = client.get(f"/results/{findable.slug}/find-station/suggestions/", {"q": typed})
        assert response.status_code == 200
        assert len(response.json()["stations"]) <= 8


def test_stations_of_an_election_whose_results_are_hidden_are_not_found(open_vote: Election, client: Client) -> None:
    assert client.get(f"/results/{open_vote.slug}/find-station/", {"q": "N-001"}).status_code == 404
    assert client.get(f"/results/{open_vote.slug}/find-station/suggestions/", {"q": "north"}).status_code == 404
    assert client.get("/results/no-such-election/find-station/", {"q": "N-001"}).status_code == 404


@pytest.mark.parametrize("typed", ["\x00", "%", "x" * 5000, "(", "\\", "﷽", " "])
def test_odd_queries_get_an_answer_not_an_error(findable: Election, client: Client, typed: str) -> None:
    assert client.get(f"/results/{findable.slug}/find-station/", {"q": typed}).status_code == 200
    assert client.get(f"/results/{findable.slug}/find-station/suggestions/", {"q": typed}).status_code == 200


def test_normal_form_folds_case_arabic_letter_variants_diacritics_and_digits() -> None:
    assert normalise("أإآٱ") == "اااا"
    assert normalise("مَدْرَسَةٌ") == normalise("مدرسه")
    assert normalise("مستشفى") == normalise("مستشفي")
    assert normalise("CG-٠١") == "cg-01"
    assert normalise("École") == "ecole"
