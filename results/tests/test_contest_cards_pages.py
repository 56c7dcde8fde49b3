"""Contest cards on the overview and contest pages, and the district page's tallies, in English and Arabic: the leader
and the margin in votes and points, the share of registered voters counted, "Leading" until the outcome is decided
and "Elected" only then, the seats held and per party, ties, and a measure's "Passing" or "Passed"."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from elections.models import Candidate, Contest, Election, Party, PollingStation
from elections.services import certify_election, close_election
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db

FSI, PDI = "\u2068", "\u2069"
# How each language writes the figures below: grouping, decimal separator and percent sign.
FIGURES = {
    "en": {"registered": "2,350", "counted": "61.7%", "points": "33.3", "district": "1,450", "all": "100.0%"},
    "ar": {"registered": "2٬350", "counted": "61٫7", "points": "33٫3", "district": "1٬450", "all": "100٫0"},
}


def page(client: Client, path: str, language: str) -> str:
    response = client.get(path, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


def card(html: str, slug: str) -> str:
    found = re.search(rf'<section[^>]*id="part-contest-{re.escape(slug)}".*?</section>', html, re.DOTALL)
    assert found is not None, slug
    return found.group(0)


def text(fragment: str) -> str:
    words = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)))
    return re.sub(r" ([,.;:،])", r"\1", words.replace(FSI, "").replace(PDI, "")).strip()


def element(fragment: str, css_class: str) -> str:
    found = re.search(rf'<(\w+) class="{css_class}[^"]*"[^>]*>.*?</\1>', fragment, re.DOTALL)
    assert found is not None, css_class
    return found.group(0)


def count_mayor(
    election: Election, stations: list[PollingStation], contest: Contest, official: User, new_key, capture
) -> None:
    """Amal Haddad 500, Omar Nasser 250 at the first two stations: a margin of 250 of 750 valid votes (33.3 points);
    the third station has not reported."""
    with capture(execute=True):
        enter_sheet(station=stations[0], contest=contest, actor=official, votes=[300, 100], key=new_key())
        enter_sheet(station=stations[1], contest=contest, actor=official, votes=[200, 150], key=new_key())


@pytest.fixture
def reporting(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> Callable[[int | None], None]:
    """Count the mayor's first two stations, with the third's registered voters set first (None: unknown)."""

    def count(south_registered: int | None) -> None:
        PollingStation.objects.filter(pk=south_station.pk).update(registered_voters=south_registered)
        count_mayor(published, [station, other_station], contest, official, new_key, django_capture_on_commit_callbacks)

    return count


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_card_names_the_leader_and_the_margin_in_votes_and_points_and_the_share_counted(
    language: str, published: Election, reporting: Callable[[int | None], None], client: Client
) -> None:
    reporting(900)
    figures = FIGURES[language]
    for path in (f"/results/{published.slug}/", f"/results/{published.slug}/contest/mayor/"):
        mayor = card(page(client, path, language), "mayor")
        lead = element(mayor, "standing__lead")
        assert "standing__lead--leading" in lead
        assert ("<bdi>Amal Haddad</bdi>" if language == "en" else "<bdi>أمل حداد</bdi>") in lead
        margin = element(mayor, "standing__margin")
        assert "250" in margin
        assert figures["points"] in margin
        assert f"{FSI}{'Omar Nasser' if language == 'en' else 'عمر ناصر'}{PDI}" in margin
        registered = re.search(r'<div class="facts__item" data-figure="registered".*?</div>', mayor, re.DOTALL)
        assert registered is not None
        assert figures["registered"] in registered.group(0)
        assert figures["counted"] in registered.group(0)
        assert "call--elected" not in mayor
        assert 'class="outstanding"' in mayor
        if language == "en":
            assert "Leading: Amal Haddad · Green League" in text(lead)
            assert text(margin) == "Margin: 250 votes (33.3 percentage points) over Omar Nasser"
            assert "Registered voters at reporting stations 61.7% of 2,350" in text(mayor)
            assert "Not decided yet: up to 900 votes may still be counted." in text(mayor)
            assert "Elected" not in text(mayor)
            assert "★ Leading" in text(mayor)


@pytest.mark.parametrize(
    ("south_registered", "call"),
    [(251, "leading"), (250, "leading"), (249, "elected")],
    ids=["margin-below-outstanding", "margin-equals-outstanding", "margin-exceeds-outstanding"],
)
def test_elected_shows_only_once_the_margin_exceeds_every_outstanding_vote(
    south_registered: int, call: str, published: Election, reporting: Callable[[int | None], None], client: Client
) -> None:
    reporting(south_registered)
    mayor = card(page(client, f"/results/{published.slug}/contest/mayor/", "en"), "mayor")
    assert f"standing__lead--{call}" in element(mayor, "standing__lead")
    if call == "elected":
        assert "Elected: Amal Haddad" in text(element(mayor, "standing__lead"))
        assert "✓ Elected" in text(mayor)  # in the table
        assert "Not decided" not in text(mayor)
        note = re.search(r'data-update-note="([^"]*)"', mayor)
        assert note is not None
        assert "Elected: Amal Haddad. Margin: 250 votes." in text(note.group(1))
    else:
        assert "Elected" not in text(mayor)
        assert f"Not decided yet: up to {south_registered} votes may still be counted." in text(mayor)


def test_unknown_registered_voters_still_to_report_mean_nothing_is_decided_before_certification(
    published: Election,
    reporting: Callable[[int | None], None],
    official: User,
    client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    reporting(None)
    for language in ("en", "ar"):
        mayor = card(page(client, f"/results/{published.slug}/contest/mayor/", language), "mayor")
        assert "standing__lead--leading" in mayor
        assert "call--elected" not in mayor
    mayor = card(page(client, f"/results/{published.slug}/contest/mayor/", "en"), "mayor")
    assert "a station still to report has no registered voters on record" in text(mayor)
    assert "Registered voters at reporting stations share unknown (registered voters not known at 1 station)" in text(
        mayor
    )
    with django_capture_on_commit_callbacks(execute=True):
        close_election(election=published, actor=official)
        certify_election(election=Election.objects.get(pk=published.pk), actor=official)
    for language in ("en", "ar"):
        mayor = card(page(client, f"/results/{published.slug}/contest/mayor/", language), "mayor")
        assert "standing__lead--elected" in mayor
        assert 'class="outstanding"' not in mayor
    assert "Elected: Amal Haddad" in text(card(page(client, f"/results/{published.slug}/", "en"), "mayor"))


@pytest.fixture
def council(published: Election) -> Contest:
    """Three seats, two choices a ballot: two Green League candidates, one of Blue Alliance and two independents."""
    green = Party.objects.get(election=published, abbreviation="GL")
    blue = Party.objects.create(election=published, name="Blue Alliance", abbreviation="BA", colour="#1F77B4")
    contest = Contest.objects.create(election=published, name="Council", slug="council", seats=3, max_choices=2)
    for order, (name, party) in enumerate(
        [("Rana", green), ("Sami", green), ("Tala", blue), ("Walid", None), ("Yara", None)], start=1
    ):
        Candidate.objects.create(contest=contest, name_en=name, ballot_order=order, party=party)
    return contest


def test_a_multi_seat_card_lists_the_seat_holders_in_order_the_seats_per_party_and_the_last_seat_margin(
    published: Election,
    station: PollingStation,
    council: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=council, actor=official, votes=[300, 120, 90, 250, 40], cast=400,
                    key=new_key())  # fmt: skip
    html = page(client, f"/results/{published.slug}/", "en")
    council_card = card(html, "council")
    holders = re.findall(r'<li class="seat-holders__item".*?</li>', council_card, re.DOTALL)
    assert [text(item) for item in holders] == [
        "Rana Green League Leading",
        "Walid Independent Leading",
        "Sami Green League Leading",
    ]
    assert "Seats per party now: Green League 2 · Independent 1" in text(council_card)
    # The last seat is Sami's (120) over Tala (90): 30 of 800 valid votes.
    assert "Margin for the last seat: 30 votes (3.8 percentage points), Sami over Tala" in text(council_card)
    # Two stations (1,550 registered voters) still to report, two votes a ballot: 3,100 votes may still come.
    assert "Not decided yet: up to 3,100 votes may still be counted." in text(council_card)
    arabic = card(page(client, f"/results/{published.slug}/", "ar"), "council")
    assert len(re.findall(r'<li class="seat-holders__item"', arabic)) == 3
    assert "3٬100" in arabic
    assert "3٫8" in arabic


def test_a_tie_for_the_last_seat_is_shown_as_a_tie_with_no_margin_and_no_seat(
    published: Election,
    station: PollingStation,
    council: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=council, actor=official, votes=[300, 250, 100, 100, 50], cast=400,
                    key=new_key())  # fmt: skip
    for language in ("en", "ar"):
        council_card = card(page(client, f"/results/{published.slug}/contest/council/", language), "council")
        assert len(re.findall(r'<li class="seat-holders__item"', council_card)) == 2
        assert 'class="standing__margin"' not in council_card
        assert "tag--tied" in element(council_card, "standing__tie")
    council_card = card(page(client, f"/results/{published.slug}/contest/council/", "en"), "council")
    assert "Tied for the last seat: Tala, Walid" in text(council_card)
    assert "Seats per party now: Green League 2 · 1 seat tied" in text(council_card)
    assert "Margin" not in text(council_card)
    assert "leads by 0" not in text(council_card)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_district_page_gives_each_contest_its_margin_and_share_counted_and_never_elects(
    language: str, published: Election, reporting: Callable[[int | None], None], client: Client
) -> None:
    reporting(0)  # the whole contest is decided: its card says "Elected", a district's tally never does
    figures = FIGURES[language]
    html = page(client, f"/results/{published.slug}/district/N/", language)
    margin = re.search(r'<div class="facts__item" data-figure="margin".*?</div>', html, re.DOTALL)
    assert margin is not None
    assert "250" in margin.group(0)
    assert figures["points"] in margin.group(0)
    registered = re.search(r'<div class="facts__item" data-figure="registered".*?</div>', html, re.DOTALL)
    assert registered is not None
    assert figures["district"] in registered.group(0)
    assert figures["all"] in registered.group(0)
    assert "call--elected" not in html
    assert "standing__lead--elected" in card(page(client, f"/results/{published.slug}/", language), "mayor")
    if language == "en":
        assert text(margin.group(0)) == "Margin 250 votes (33.3 percentage points), Amal Haddad over Omar Nasser"
        assert text(registered.group(0)) == "Registered voters at reporting stations 100.0% of 1,450"


@pytest.fixture
def measure(published: Election) -> Contest:
    contest = Contest.objects.create(election=published, name="Question", slug="question", kind=Contest.Kind.MEASURE)
    Candidate.objects.create(contest=contest, name_en="Yes", ballot_order=1)
    Candidate.objects.create(contest=contest, name_en="No", ballot_order=2)
    return contest


@pytest.mark.parametrize(("south_registered", "label"), [(200, "Passing"), (199, "Passed")])
def test_a_measure_has_passed_only_when_the_votes_still_out_cannot_stop_it(
    south_registered: int,
    label: str,
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    south_station: PollingStation,
    measure: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:
    # Yes 500 of 800: with 200 more votes, all for No, it would be exactly half, which does not pass.
    PollingStation.objects.filter(pk=south_station.pk).update(registered_voters=south_registered)
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=measure, actor=official, votes=[300, 100], key=new_key())
        enter_sheet(station=other_station, contest=measure, actor=official, votes=[200, 200], key=new_key())
    question = card(page(client, f"/results/{published.slug}/", "en"), "question")
    assert f'<strong class="measure-outcome__label">{label}</strong>' in question
    assert ("Not decided yet" in text(question)) is (label == "Passing")
    assert "Leading" not in question
    assert "Elected" not in question
