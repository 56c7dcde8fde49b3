"""The entry pages offer per contest the one next step the sheet service will take, say why when there is none, and
speak to a person in words: accepted numbers beside a correction, a settled review named, no API jargon, names in
the page's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ballots.models import StationCount, TallySheet
from ballots.tests.support import set_counting, submit_sheet
from ballots.tests.test_entry_views import key_in, sheet_post, url
from elections.models import Candidate, Contest, Election, PollingStation
from elections.services import close_election
from trust.errors import EntryRejected

ENTRY_LINKS = ("Enter the tally sheet", "Correct the tally sheet", "Make the second entry")


def sheet_link(html: str, station: PollingStation, contest: Contest) -> bool:
    """Whether the page links to the contest's sheet form."""
    return f'href="{url(station, contest, "sheet/")}"' in html


def offers_entry(client: Client, station: PollingStation, contest: Contest) -> bool:
    html = client.get(url(station)).content.decode()
    offered = sheet_link(html, station, contest)
    assert offered == any(label in html for label in ENTRY_LINKS)
    return offered


def text_of(html: str) -> str:
    """What a person reads on the page: its text without the markup."""
    return re.sub(r"<[^>]+>", " ", html)


def service_takes(station: PollingStation, contest: Contest, actor: User, key: str) -> bool:
    try:
        submit_sheet(station=station, contest=contest, actor=actor, key=key, votes=[1, 1], reason="Recount")
    except EntryRejected:
        return False
    return True


@pytest.fixture
def double_entry(open_vote: Election) -> Election:
    return set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)


@pytest.fixture
def entries_differ(
    double_entry: Election, clerk: User, second_clerk: User, station: PollingStation, contest: Contest
) -> None:
    """Under double entry, two clerks' entries of one sheet that differ: the sheet waits for a supervisor's review."""
    submit_sheet(station=station, contest=contest, actor=clerk, key="k-first-0001", votes=[3, 2])
    submit_sheet(station=station, contest=contest, actor=second_clerk, key="k-second-001", votes=[2, 3])


def test_a_sheet_in_review_offers_the_clerk_no_entry_and_says_why(
    client: Client, clerk: User, north_supervisor: User, station: PollingStation, contest: Contest, new_key: Any
) -> None:
    submit_sheet(station=station, contest=contest, actor=north_supervisor, key=new_key(), votes=[3, 2])
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[2, 3], reason="Recount")
    client.force_login(clerk)

    html = client.get(url(station)).content.decode()
    assert not sheet_link(html, station, contest)
    assert "Enter the tally sheet" not in html
    assert "Waiting for a supervisor's review." in html
    assert "correction waits for a supervisor" in html
    assert f'href="/entry/review/{station.pk}/{contest.pk}/"' not in html  # a clerk cannot review


def test_the_sheet_address_in_review_explains_instead_of_offering_a_blank_form(
    client: Client, clerk: User, entries_differ: None, station: PollingStation, contest: Contest
) -> None:
    client.force_login(clerk)

    response = client.get(url(station, contest, "sheet/"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="ballots_cast"' not in html
    assert "waiting for a supervisor" in html
    assert "The two entries of this sheet differ" in html


def test_a_supervisor_is_offered_the_review_of_a_sheet_in_review(
    client: Client,
    north_supervisor: User,
    entries_differ: None,
    station: PollingStation,
    contest: Contest,
) -> None:
    client.force_login(north_supervisor)

    review = f'href="/entry/review/{station.pk}/{contest.pk}/"'
    assert review in client.get(url(station)).content.decode()
    assert review in client.get(url(station, contest, "sheet/")).content.decode()


def test_the_first_clerk_waits_for_a_second_and_the_second_is_asked_for_the_second_entry(
    client: Client, clerk: User, second_clerk: User, double_entry: Election, station: PollingStation, contest: Contest
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key="k-first-0001", votes=[3, 2])
    client.force_login(clerk)
    html = client.get(url(station)).content.decode()
    assert not sheet_link(html, station, contest)
    assert "Waiting for the second entry by another clerk." in html
    assert 'name="ballots_cast"' not in client.get(url(station, contest, "sheet/")).content.decode()

    client.force_login(second_clerk)
    html = client.get(url(station)).content.decode()
    assert sheet_link(html, station, contest)
    assert "Make the second entry" in html
    assert 'name="ballots_cast"' in client.get(url(station, contest, "sheet/")).content.decode()


@pytest.mark.parametrize("state", ["none", "pending by me", "pending by another", "in review", "accepted"])
def test_the_station_page_offers_an_entry_exactly_when_the_service_takes_it(
    state: str,
    client: Client,
    clerk: User,
    second_clerk: User,
    north_supervisor: User,
    double_entry: Election,
    station: PollingStation,
    contest: Contest,
    new_key: Any,
) -> None:
    if state == "pending by me":
        submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    elif state == "pending by another":
        submit_sheet(station=station, contest=contest, actor=second_clerk, key=new_key(), votes=[3, 2])
    elif state == "in review":
        submit_sheet(station=station, contest=contest, actor=second_clerk, key=new_key(), votes=[3, 2])
        submit_sheet(station=station, contest=contest, actor=north_supervisor, key=new_key(), votes=[2, 3])
    elif state == "accepted":
        set_counting(double_entry, Election.CountingMethod.TALLY_SHEETS)
        submit_sheet(station=station, contest=contest, actor=second_clerk, key=new_key(), votes=[3, 2])
    client.force_login(clerk)
    assert offers_entry(client, station, contest) == service_takes(station, contest, clerk, new_key())


def test_a_closed_election_offers_a_clerk_no_entry_and_a_supervisor_a_correction(
    client: Client,
    clerk: User,
    north_supervisor: User,
    official: User,
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    new_key: Any,
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    close_election(election=open_vote, actor=official)
    client.force_login(clerk)
    assert not offers_entry(client, station, contest)
    assert "No entry is taken now." in client.get(url(station)).content.decode()
    assert 'name="ballots_cast"' not in client.get(url(station, contest, "sheet/")).content.decode()
    client.force_login(north_supervisor)
    assert "Correct the tally sheet" in client.get(url(station)).content.decode()


def test_a_correction_form_shows_the_accepted_number_beside_each_box(
    client: Client, clerk: User, station: PollingStation, contest: Contest, candidates: list[Candidate], new_key: Any
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[31, 17], blank=2, invalid=1)
    client.force_login(clerk)
    html = client.get(url(station, contest, "sheet/")).content.decode()
    for name, number in [
        ("ballots_cast", 51),
        ("blank", 2),
        ("invalid", 1),
        *[(f"votes_{c.pk}", n) for c, n in zip(candidates, [31, 17], strict=True)],
    ]:
        note = re.search(rf'<p class="field__accepted" id="id_{name}-accepted">Accepted now: (\d+)</p>', html)
        assert note is not None, name
        assert int(note.group(1)) == number
        assert re.search(rf'name="{name}"[^>]*aria-describedby="id_{name}-accepted"', html), name


def test_a_first_entry_shows_no_accepted_numbers(
    client: Client, clerk: User, station: PollingStation, contest: Contest, open_vote: Election
) -> None:
    client.force_login(clerk)
    assert "Accepted now" not in client.get(url(station, contest, "sheet/")).content.decode()


def test_a_refused_correction_keeps_the_accepted_numbers_and_names_both_notes(
    client: Client, clerk: User, station: PollingStation, contest: Contest, candidates: list[Candidate], new_key: Any
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    client.force_login(clerk)
    response = client.post(url(station, contest, "sheet/"), sheet_post("form-key-0001", candidates, ["3", "9"]))
    html = response.content.decode()
    assert response.status_code == 422
    assert 'aria-describedby="id_ballots_cast-error id_ballots_cast-accepted"' in html
    assert "Accepted now: 5" in html


def test_a_form_sent_again_with_other_numbers_says_so_in_plain_words(
    client: Client,
    clerk: User,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    open_vote: Election,
) -> None:
    client.force_login(clerk)
    sheet = url(station, contest, "sheet/")
    assert client.post(sheet, sheet_post("form-key-0002", candidates, ["3", "2"])).status_code == 302
    # The clerk goes back to the form, changes a number and sends it again under the page's key.
    response = client.post(sheet, sheet_post("form-key-0002", candidates, ["4", "1"], reason="Typo"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "idempotency" not in text_of(html).lower()
    assert "already been sent and was recorded" in html
    assert TallySheet.objects.count() == 1


def test_a_button_sent_again_for_another_ballot_says_so_in_plain_words(
    client: Client, clerk: User, station: PollingStation, contest: Contest, open_vote: Election, new_key: Any
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    client.force_login(clerk)
    screen = url(station, contest, "ballots/")
    client.post(screen, {"idempotency_key": "form-key-0003", "kind": "blank"})
    client.post(screen, {"idempotency_key": "form-key-0004", "kind": "invalid"})
    last = client.get(screen).content.decode()
    ballot_id = key_in(last, "ballot_id")
    client.post(
        url(station, contest, "ballots/undo/"),
        {"idempotency_key": "form-key-0005", "ballot_id": ballot_id, "reason": "Wrong"},
    )
    # The undo form re-posted for the ballot before it, under the same key.
    response = client.post(
        url(station, contest, "ballots/undo/"),
        {"idempotency_key": "form-key-0005", "ballot_id": str(int(ballot_id) - 1), "reason": "Wrong"},
        follow=True,
    )
    html = response.content.decode()
    assert "idempotency" not in text_of(html).lower()
    assert "already been sent and was recorded" in html


def test_a_settled_review_names_the_version_and_the_station(
    client: Client,
    north_supervisor: User,
    entries_differ: None,
    station: PollingStation,
    contest: Contest,
) -> None:
    client.force_login(north_supervisor)
    page = client.get(f"/entry/review/{station.pk}/{contest.pk}/").content.decode()
    response = client.post(
        f"/entry/review/{station.pk}/{contest.pk}/",
        {"idempotency_key": key_in(page), "action": "accept", "accept_version": "2"},
        follow=True,
    )
    html = response.content.decode()
    assert "Review settled: version 2 is accepted for Mayor at polling station N-001 North School." in html


def test_a_count_with_no_ballot_is_not_started(
    client: Client, clerk: User, station: PollingStation, contest: Contest, open_vote: Election, new_key: Any
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    client.force_login(clerk)
    assert "Not started" in client.get(url(station)).content.decode()
    client.post(url(station, contest, "ballots/"), {"idempotency_key": new_key(), "kind": "blank"})
    html = client.get(url(station)).content.decode()
    assert "Not started" not in html
    assert "In progress" in html


def test_arabic_entry_pages_name_everything_in_arabic_and_fall_back_where_a_name_is_missing(
    client: Client, clerk: User, station: PollingStation, contest: Contest, open_vote: Election, new_key: Any
) -> None:
    Election.objects.filter(pk=open_vote.pk).update(name_ar="انتخابات الاختبار")
    contest.name_ar = "رئيس البلدية"
    contest.save()
    station.district.name_ar = "الشمال"
    station.district.save()
    PollingStation.objects.filter(pk=station.pk).update(name_ar="مدرسة الشمال")
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    client.force_login(clerk)
    client.cookies["django_language"] = "ar"
    english = ["Test Election", "Mayor", "North School", "North", "Amal Haddad", "Omar Nasser"]
    for path in [url(station), url(station, contest, "sheet/"), url(station, contest, "sheet/history/"), "/entry/"]:
        html = client.get(path).content.decode()
        assert 'lang="ar"' in html
        for name in english:
            assert name not in html, (path, name)
    assert "مدرسة الشمال" in client.get(url(station, contest, "sheet/")).content.decode()
    assert "رئيس البلدية" in client.get(url(station, contest, "sheet/")).content.decode()

    # No Arabic name: the usual one is shown rather than nothing.
    contest.name_ar = ""
    contest.save()
    assert "Mayor" in client.get(url(station, contest, "sheet/")).content.decode()


def test_the_ballot_screen_gives_blank_and_invalid_keys_and_says_how_to_reach_every_candidate(
    client: Client, clerk: User, station: PollingStation, contest: Contest, open_vote: Election
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    for order in range(3, 13):
        Candidate.objects.create(contest=contest, name_en=f"Candidate {order}", ballot_order=order)
    client.force_login(clerk)
    html = client.get(url(station, contest, "ballots/")).content.decode()
    assert re.search(r'value="blank"[^>]*aria-keyshortcuts="B">Blank <kbd>B</kbd>', html)
    assert re.search(r'value="invalid"[^>]*aria-keyshortcuts="I">Invalid <kbd>I</kbd>', html)
    assert "reach the others with Tab or the arrow keys" in html
    assert html.count("aria-keyshortcuts=") == 10 + 2  # ten candidates have a key, the rest are reached otherwise


def test_a_supervisor_sees_the_refusal_in_plain_words_when_a_reused_key_reaches_a_button(
    client: Client, north_supervisor: User, station: PollingStation, contest: Contest, new_key: Any
) -> None:
    submit_sheet(station=station, contest=contest, actor=north_supervisor, key=new_key(), votes=[3, 2])
    client.force_login(north_supervisor)
    quarantine = url(station, contest, "sheet/quarantine/")
    client.post(quarantine, {"idempotency_key": "form-key-0006", "reason": "Smudged"})
    client.post(url(station, contest, "sheet/release/"), {"idempotency_key": "form-key-0007"})
    html = client.post(quarantine, {"idempotency_key": "form-key-0006", "reason": "Torn"}, follow=True).content.decode()
    assert "idempotency" not in text_of(html).lower()
    assert "already been sent and was recorded" in html


def test_every_entry_page_of_a_supervisor_links_to_the_review_queue(
    client: Client, clerk: User, north_supervisor: User, station: PollingStation, contest: Contest, new_key: Any
) -> None:
    submit_sheet(station=station, contest=contest, actor=north_supervisor, key=new_key(), votes=[3, 2])
    client.force_login(north_supervisor)
    for path in [
        "/entry/",
        url(station),
        url(station, contest, "sheet/"),
        url(station, tail="turnout/"),
        "/entry/review/",
    ]:
        assert 'href="/entry/review/"' in client.get(path).content.decode(), path
    for path in [url(station, contest, "sheet/history/"), url(station, tail="turnout/")]:
        client.force_login(clerk)
        assert 'href="/entry/review/"' not in client.get(path).content.decode(), path


def test_a_count_is_completed_only_when_the_clerk_says_every_ballot_is_entered(
    client: Client, clerk: User, station: PollingStation, contest: Contest, open_vote: Election
) -> None:
    set_counting(open_vote, Election.CountingMethod.BALLOTS)
    client.force_login(clerk)
    complete = url(station, contest, "ballots/complete/")
    html = client.post(complete, {"idempotency_key": "form-key-0008"}, follow=True).content.decode()
    assert "The count is still open" in html
    assert not StationCount.objects.filter(station=station, contest=contest, complete=True).exists()
    client.post(complete, {"idempotency_key": "form-key-0009", "confirm": "on"})
    assert StationCount.objects.filter(station=station, contest=contest, complete=True).exists()


def test_the_station_list_says_how_many_sheets_are_accepted_and_how_many_wait_for_review(
    client: Client, clerk: User, north_supervisor: User, station: PollingStation, contest: Contest, new_key: Any
) -> None:
    client.force_login(clerk)
    assert "Tally sheets accepted: 0 of 1" in client.get("/entry/").content.decode()
    submit_sheet(station=station, contest=contest, actor=north_supervisor, key=new_key(), votes=[3, 2])
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[2, 3], reason="Recount")
    html = client.get("/entry/").content.decode()
    assert "Tally sheets accepted: 1 of 1" in html
    assert "Waiting for review: 1" in html


def test_the_turnout_form_shows_the_last_report_it_cannot_go_below(
    client: Client, clerk: User, station: PollingStation, open_vote: Election
) -> None:
    client.force_login(clerk)
    turnout = url(station, tail="turnout/")
    assert "Last reported" not in client.get(turnout).content.decode()
    client.post(turnout, {"idempotency_key": "form-key-0010", "voters": "120"})
    assert "Last reported: 120 voters at " in client.get(turnout).content.decode()


def test_arabic_review_and_ballot_pages_name_everything_in_arabic(
    client: Client, clerk: User, north_supervisor: User, station: PollingStation, contest: Contest, new_key: Any
) -> None:
    set_counting(station.election, Election.CountingMethod.BOTH)
    Contest.objects.filter(pk=contest.pk).update(name_ar="رئيس البلدية")
    PollingStation.objects.filter(pk=station.pk).update(name_ar="مدرسة الشمال")
    submit_sheet(station=station, contest=contest, actor=north_supervisor, key=new_key(), votes=[3, 2])
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[2, 3], reason="Recount")
    client.force_login(north_supervisor)
    client.cookies["django_language"] = "ar"
    pages = ["/entry/review/", f"/entry/review/{station.pk}/{contest.pk}/", url(station, contest, "ballots/")]
    for path in pages:
        html = client.get(path).content.decode()
        for name in ["Mayor", "North School", "Amal Haddad", "Omar Nasser"]:
            assert name not in html, (path, name)
        assert "مدرسة الشمال" in html, path
