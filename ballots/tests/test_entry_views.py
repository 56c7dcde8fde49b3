"""The entry site without JavaScript: plain forms that post, keep what was typed, and record once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ballots.models import Ballot, BallotVoid, StationCount, TallySheet, TurnoutReport
from ballots.tests.support import set_counting, submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from trust.models import ApiToken


def url(station: PollingStation, contest: Contest | None = None, tail: str = "") -> str:
    base = f"/entry/stations/{station.pk}/"
    return f"{base}contests/{contest.pk}/{tail}" if contest is not None else f"{base}{tail}"


def key_in(html: str, name: str = "idempotency_key") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def sheet_post(key: str, candidates: list[Candidate], votes: list[str], **counts: str) -> dict[str, Any]:
    data = {"idempotency_key": key, "ballots_cast": "5", "blank": "0", "invalid": "0", "reason": "", **counts}
    data.update({f"votes_{c.pk}": v for c, v in zip(candidates, votes, strict=True)})
    return data


@pytest.fixture
def clerk_client(client: Client, clerk: User, open_vote: Election) -> Client:
    client.force_login(clerk)
    return client


def test_anonymous_visitors_are_sent_to_the_entry_login(client: Client, station: PollingStation) -> None:
    for path in ["/entry/", url(station), "/entry/review/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/entry/login/")


def test_staff_sign_in_on_the_entry_login_page(client: Client, clerk: User, open_vote: Election) -> None:
    page = client.get("/entry/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post("/entry/login/", {"username": "clerk", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == "/entry/"  # the clerk's stations, not a page that does not exist
    assert "N-001" in client.get("/entry/").content.decode()


def test_sign_in_returns_to_the_page_that_asked_for_it(client: Client, clerk: User, station: PollingStation) -> None:
    target = f"/entry/stations/{station.pk}/"
    response = client.post(
        f"/entry/login/?next={target}", {"username": "clerk", "password": "correct-horse-battery", "next": target}
    )
    assert response["Location"] == target


def test_home_lists_only_the_clerks_own_station(clerk_client: Client) -> None:
    html = clerk_client.get("/entry/").content.decode()
    assert "N-001" in html
    assert "N-002" not in html
    assert "S-001" not in html


def test_station_page_shows_each_contests_progress(
    clerk_client: Client, clerk: User, station: PollingStation, contest: Contest, new_key: Any
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    html = clerk_client.get(url(station)).content.decode()
    assert "Mayor" in html
    assert "Accepted" in html
    assert "Correct the tally sheet" in html


def test_a_sheet_form_posts_and_records(
    clerk_client: Client, station: PollingStation, contest: Contest, candidates: list[Candidate]
) -> None:
    page = clerk_client.get(url(station, contest, "sheet/"))
    assert page.status_code == 200
    assert page.content.decode().count('inputmode="numeric"') == 5
    response = clerk_client.post(
        url(station, contest, "sheet/"), sheet_post(key_in(page.content.decode()), candidates, ["3", "2"])
    )
    assert response.status_code == 302
    assert TallySheet.objects.get().status == "accepted"


def test_a_refused_sheet_keeps_what_was_typed_with_the_error_beside_the_field_and_its_key(
    clerk_client: Client, station: PollingStation, contest: Contest, candidates: list[Candidate]
) -> None:
    key = key_in(clerk_client.get(url(station, contest, "sheet/")).content.decode())
    refused = clerk_client.post(url(station, contest, "sheet/"), sheet_post(key, candidates, ["3", "1"]))

    html = refused.content.decode()
    assert refused.status_code == 422
    field = re.search(r'<div class="field field--error">(.*?)</div>', html, re.S)
    assert field is not None
    assert 'for="id_ballots_cast"' in field.group(1)
    assert 'aria-describedby="id_ballots_cast-error"' in field.group(1)
    assert "must equal ballots cast" in field.group(1)
    assert "blank (0) + invalid (0)" in field.group(1)
    assert "undervotes" not in field.group(1)  # this election does not count them
    assert f'name="votes_{candidates[1].pk}" value="1"' in html
    assert key_in(html) == key
    assert TallySheet.objects.count() == 0

    corrected = clerk_client.post(url(station, contest, "sheet/"), sheet_post(key, candidates, ["3", "2"]))
    again = clerk_client.post(url(station, contest, "sheet/"), sheet_post(key, candidates, ["3", "2"]))
    assert corrected.status_code == again.status_code == 302
    assert TallySheet.objects.count() == 1


@pytest.mark.parametrize(("value", "message"), [("-1", "cannot be negative"), ("three", "whole number")])
def test_negative_or_non_numeric_values_are_refused_beside_the_field(
    clerk_client: Client,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    value: str,
    message: str,
) -> None:
    response = clerk_client.post(url(station, contest, "sheet/"), sheet_post("form-key-0001", candidates, [value, "2"]))
    html = response.content.decode()
    assert response.status_code == 422
    assert message in html
    assert f'value="{value}"' in html
    assert 'aria-invalid="true"' in html


def test_ballots_cast_above_registered_voters_is_refused_beside_the_field(
    clerk_client: Client, station: PollingStation, contest: Contest, candidates: list[Candidate]
) -> None:
    data = sheet_post("form-key-0002", candidates, ["801", "0"], ballots_cast="801")
    html = clerk_client.post(url(station, contest, "sheet/"), data).content.decode()
    assert "cannot exceed the 800 registered voters" in html


def test_a_correction_needs_a_reason_and_becomes_a_new_version(
    client: Client,
    north_supervisor: User,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    new_key: Any,
) -> None:
    submit_sheet(station=station, contest=contest, actor=north_supervisor, key=new_key(), votes=[3, 2])
    client.force_login(north_supervisor)
    no_reason = client.post(url(station, contest, "sheet/"), sheet_post("form-key-0003", candidates, ["4", "1"]))
    assert re.search(
        r'field--error">\s*<label for="id_reason">[^<]*</label>.*?Give a reason', no_reason.content.decode(), re.S
    )
    with_reason = client.post(
        url(station, contest, "sheet/"), sheet_post("form-key-0003", candidates, ["4", "1"], reason="misread a 4")
    )
    assert with_reason.status_code == 302
    history = client.get(url(station, contest, "sheet/history/")).content.decode()
    assert "misread a 4" in history
    assert "Superseded" in history


def test_a_clerk_of_another_station_cannot_open_or_post_its_forms(
    clerk_client: Client, other_station: PollingStation, contest: Contest, candidates: list[Candidate]
) -> None:
    assert clerk_client.get(url(other_station)).status_code == 404
    response = clerk_client.post(
        url(other_station, contest, "sheet/"), sheet_post("form-key-0004", candidates, ["3", "2"])
    )
    assert response.status_code == 404
    assert (
        clerk_client.post(
            url(other_station, None, "turnout/"), {"idempotency_key": "form-key-0005", "voters": "3"}
        ).status_code
        == 404
    )
    assert TallySheet.objects.count() == TurnoutReport.objects.count() == 0


def test_a_supervisor_of_another_district_cannot_post(
    client: Client, south_supervisor: User, station: PollingStation, contest: Contest, candidates: list[Candidate]
) -> None:
    client.force_login(south_supervisor)
    response = client.post(url(station, contest, "sheet/"), sheet_post("form-key-0006", candidates, ["3", "2"]))
    assert response.status_code == 404
    assert client.get("/entry/review/").status_code == 200
    assert TallySheet.objects.count() == 0


def test_a_clerk_has_no_review_queue(clerk_client: Client) -> None:
    assert clerk_client.get("/entry/review/").status_code == 403


def test_turnout_form_records_once_and_refuses_beside_the_field(clerk_client: Client, station: PollingStation) -> None:
    page = clerk_client.get(url(station, None, "turnout/")).content.decode()
    key = key_in(page)
    first = clerk_client.post(url(station, None, "turnout/"), {"idempotency_key": key, "voters": "50"})
    again = clerk_client.post(url(station, None, "turnout/"), {"idempotency_key": key, "voters": "50"})
    lower = clerk_client.post(url(station, None, "turnout/"), {"idempotency_key": "form-key-0007", "voters": "40"})
    assert first.status_code == again.status_code == 302
    assert TurnoutReport.objects.count() == 1
    assert "Turnout cannot decrease" in lower.content.decode()
    assert 'value="40"' in lower.content.decode()


# --- ballot by ballot, without JavaScript -----------------------------------------------------------------------------


@pytest.fixture
def ballot_counting(open_vote: Election) -> Election:
    return set_counting(open_vote, Election.CountingMethod.BALLOTS)


def test_the_ballot_screen_works_as_a_plain_form(
    clerk_client: Client,
    ballot_counting: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
) -> None:
    page = clerk_client.get(url(station, contest, "ballots/")).content.decode()
    assert 'type="checkbox" name="marks"' in page
    key = key_in(page)
    data = {"idempotency_key": key, "marks": [str(candidates[0].pk)], "kind": "marked"}
    first = clerk_client.post(url(station, contest, "ballots/"), data)
    again = clerk_client.post(url(station, contest, "ballots/"), data)
    blank = clerk_client.post(url(station, contest, "ballots/"), {"idempotency_key": "form-key-0010", "kind": "blank"})
    too_many = clerk_client.post(
        url(station, contest, "ballots/"),
        {"idempotency_key": "form-key-0011", "kind": "marked", "marks": [str(c.pk) for c in candidates]},
    )

    assert first.status_code == again.status_code == blank.status_code == 302
    assert [b.kind for b in Ballot.objects.order_by("pk")] == ["marked", "blank"]
    assert too_many.status_code == 422
    assert "at most 1 are allowed" in too_many.content.decode()
    assert "Ballots entered:" in clerk_client.get(url(station, contest, "ballots/")).content.decode()


def test_undo_voids_the_last_ballot_with_a_reason_and_count_complete_closes_it(
    clerk_client: Client, ballot_counting: Election, station: PollingStation, contest: Contest
) -> None:
    clerk_client.post(url(station, contest, "ballots/"), {"idempotency_key": "form-key-0020", "kind": "blank"})
    last = Ballot.objects.get()
    undo = {"idempotency_key": "form-key-0021", "ballot_id": str(last.pk), "reason": "pressed blank by mistake"}
    clerk_client.post(url(station, contest, "ballots/undo/"), undo)
    clerk_client.post(url(station, contest, "ballots/undo/"), undo)
    complete = clerk_client.post(
        url(station, contest, "ballots/complete/"), {"idempotency_key": "form-key-0022", "confirm": "on"}
    )

    assert BallotVoid.objects.get().ballot == last
    assert complete.status_code == 302
    assert StationCount.objects.get().complete
    page = clerk_client.get(url(station, contest, "ballots/")).content.decode()
    assert "count of this contest is complete" in page
    assert "Reopen the count" not in page


def test_a_supervisor_reopens_a_completed_count(
    client: Client, north_supervisor: User, ballot_counting: Election, station: PollingStation, contest: Contest
) -> None:
    client.force_login(north_supervisor)
    client.post(url(station, contest, "ballots/complete/"), {"idempotency_key": "form-key-0030", "confirm": "on"})
    client.post(url(station, contest, "ballots/reopen/"), {"idempotency_key": "form-key-0031", "reason": "one missed"})
    assert not StationCount.objects.get().complete


# --- supervisors ---------------------------------------------------------------------------------------------------


def test_a_double_entry_mismatch_is_reviewed_side_by_side_and_settled(
    client: Client,
    clerk: User,
    second_clerk: User,
    north_supervisor: User,
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    new_key: Any,
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    submit_sheet(station=station, contest=contest, actor=second_clerk, key=new_key(), votes=[2, 3])
    client.force_login(north_supervisor)

    queue = client.get("/entry/review/").content.decode()
    assert "N-001" in queue
    page = client.get(f"/entry/review/{station.pk}/{contest.pk}/").content.decode()
    assert page.count('class="differs"') == 2
    assert page.count("≠ differs") == 2
    response = client.post(
        f"/entry/review/{station.pk}/{contest.pk}/",
        {"idempotency_key": key_in(page), "action": "accept", "accept_version": "2"},
    )
    assert response.status_code == 302
    assert TallySheet.objects.get(status="accepted").version == 2
    assert "Nothing waits for review." in client.get("/entry/review/").content.decode()


def test_a_supervisor_enters_the_deciding_version(
    client: Client,
    clerk: User,
    second_clerk: User,
    north_supervisor: User,
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    new_key: Any,
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    submit_sheet(station=station, contest=contest, actor=second_clerk, key=new_key(), votes=[2, 3])
    client.force_login(north_supervisor)
    data = {**sheet_post("form-key-0040", candidates, ["4", "1"]), "action": "decide"}
    response = client.post(f"/entry/review/{station.pk}/{contest.pk}/", data)
    assert response.status_code == 302
    accepted = TallySheet.objects.get(status="accepted")
    assert (accepted.version, accepted.entered_by) == (3, north_supervisor)


def test_a_supervisor_quarantines_with_a_public_reason_and_releases(
    client: Client, north_supervisor: User, station: PollingStation, contest: Contest, new_key: Any
) -> None:
    submit_sheet(station=station, contest=contest, actor=north_supervisor, key=new_key(), votes=[3, 2])
    client.force_login(north_supervisor)
    client.post(
        url(station, contest, "sheet/quarantine/"), {"idempotency_key": "form-key-0050", "reason": "torn sheet"}
    )
    assert TallySheet.objects.get().quarantine_reason == "torn sheet"
    assert "torn sheet" in client.get(url(station, contest, "sheet/history/")).content.decode()
    client.post(url(station, contest, "sheet/release/"), {"idempotency_key": "form-key-0051"})
    assert TallySheet.objects.get().status == "accepted"


def test_a_clerk_cannot_quarantine(
    clerk_client: Client, clerk: User, station: PollingStation, contest: Contest, new_key: Any
) -> None:
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    assert "Quarantine version" not in clerk_client.get(url(station, contest, "sheet/history/")).content.decode()
    clerk_client.post(url(station, contest, "sheet/quarantine/"), {"idempotency_key": "form-key-0060", "reason": "x"})
    assert TallySheet.objects.get().status == "accepted"


# --- API tokens in the admin ---------------------------------------------------------------------------------------


def test_an_official_issues_a_token_in_the_admin_and_sees_its_secret_once(client: Client, official: User) -> None:
    client.force_login(official)
    # For themselves: a token for someone else waits for its holder (trust/tests/test_token_confirmation.py).
    response = client.post("/admin/trust/apitoken/add/", {"user": str(official.pk), "name": "tablet 7"}, follow=True)
    html = response.content.decode()
    secret = re.search(r"(vt_[0-9a-f]{12}_[A-Za-z0-9_\-]+)", html)
    assert secret is not None
    token = ApiToken.objects.get()
    assert token.user == official
    assert secret.group(1) not in client.get(f"/admin/trust/apitoken/{token.pk}/change/").content.decode()
    listing = client.get("/admin/trust/apitoken/").content.decode()
    assert token.prefix in listing

    client.post(
        "/admin/trust/apitoken/", {"action": "revoke_selected", "_selected_action": [str(token.pk)]}, follow=True
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/entry/stations", HTTP_AUTHORIZATION=f"Bearer {secret.group(1)}").status_code == 401


def test_arabic_pages_show_arabic_names_of_candidates(clerk_client: Client, station: PollingStation) -> None:
    contest = station.election.contests.get(slug="mayor")
    clerk_client.cookies["django_language"] = "ar"
    page = clerk_client.get(f"/entry/stations/{station.pk}/contests/{contest.pk}/sheet/").content.decode()
    assert "أمل حداد" in page
    assert "Amal Haddad" not in page
    clerk_client.cookies["django_language"] = "en"
    assert (
        "Amal Haddad" in clerk_client.get(f"/entry/stations/{station.pk}/contests/{contest.pk}/sheet/").content.decode()
    )


def test_a_review_of_a_contest_that_does_not_exist_or_is_another_elections_is_not_found(
    client: Client,
    clerk: User,
    second_clerk: User,
    north_supervisor: User,
    open_vote: Election,
    station: PollingStation,
    contest: Contest,
    new_key: Any,
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    submit_sheet(station=station, contest=contest, actor=clerk, key=new_key(), votes=[3, 2])
    submit_sheet(station=station, contest=contest, actor=second_clerk, key=new_key(), votes=[2, 3])
    elsewhere = Election.objects.create(name="Elsewhere", slug="elsewhere", date=open_vote.date)
    foreign = Contest.objects.create(election=elsewhere, name="Mayor", slug="mayor")
    client.force_login(north_supervisor)

    assert client.get(f"/entry/review/{station.pk}/{contest.pk}/").status_code == 200
    for contest_id in (999_999, foreign.pk):
        assert client.get(f"/entry/review/{station.pk}/{contest_id}/").status_code == 404
        response = client.post(
            f"/entry/review/{station.pk}/{contest_id}/",
            {"idempotency_key": new_key(), "action": "accept", "accept_version": "2"},
        )
        assert response.status_code == 404


def test_a_station_that_is_not_yours_is_answered_exactly_like_one_that_does_not_exist(
    clerk_client: Client, other_station: PollingStation, contest: Contest
) -> None:
    def page_without_its_address(path: str) -> tuple[int, bytes]:
        response = clerk_client.get(path)
        return response.status_code, response.content.replace(path.encode(), b"")

    for tail in ("", "turnout/", f"contests/{contest.pk}/sheet/", f"contests/{contest.pk}/ballots/"):
        theirs = page_without_its_address(f"/entry/stations/{other_station.pk}/{tail}")
        assert theirs[0] == 404
        assert theirs == page_without_its_address(f"/entry/stations/999999/{tail}")
