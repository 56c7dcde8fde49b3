"""An official sets up contests over areas that follow no one district by importing files: electoral districts that
cross counties, then contests over them. The opening check and entry use exactly those stations."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from elections import services
from elections.models import Contest, Election, ElectoralDistrict
from elections.selectors import list_contest_station_ids
from elections.tests.spreadsheets import confirm, csv_bytes, import_file, rejected_rows, upload
from elections.tests.support import events_since, last_event_id
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db

AREA_HEADER = "code,name,name_ar,districts,stations"
CONTEST_HEADER = "slug,name,name_ar,kind,district,electoral_district,seats,max_choices,threshold,position"


def _two_counties(client: Client, election: Election) -> None:
    """Counties A and B, each with a ward inside, and two stations in each county: one in the ward, one not."""
    import_file(
        client,
        "district",
        csv_bytes("code,name,parent", "CA,County A,", "CA-W1,Ward A1,CA", "CB,County B,", "CB-W1,Ward B1,CB"),
        election=election,
    )
    import_file(
        client,
        "pollingstation",
        csv_bytes(
            "code,name,district,registered_voters",
            "CA-1,A ward school,CA-W1,500",
            "CA-2,A hall,CA,",
            "CB-1,B ward school,CB-W1,400",
            "CB-2,B hall,CB,300",
        ),
        election=election,
    )


def _stations_of(contest: Contest) -> set[str]:
    ids = list_contest_station_ids(election_id=contest.election_id)[contest.pk]
    return set(contest.election.stations.filter(pk__in=ids).values_list("code", flat=True))


def _sheet(client: Client, contest: Contest, station_code: str, key: str) -> tuple[int, dict[str, Any]]:
    station = contest.election.stations.get(code=station_code)
    votes = {str(candidate.pk): 10 * number for number, candidate in enumerate(contest.candidates.all(), start=1)}
    body = {"station_id": station.pk, "contest_id": contest.pk, "ballots_cast": 30, "votes": votes}
    response = client.post(
        "/api/v1/entry/tally-sheets", json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    return response.status_code, response.json()


def test_contests_over_imported_electoral_districts_take_entries_only_from_their_stations(
    official_client: Client, official: User, election: Election
) -> None:
    _two_counties(official_client, election)
    shown = import_file(
        official_client,
        "electoraldistrict",
        csv_bytes(
            AREA_HEADER,
            # A ward of county A, all of North, and one station of county B: it crosses both counties.
            "HD-1,House District 1,الدائرة ١, CA-W1 ; N ,CB-2",
            "SD-2,School District 2,,,CA-2;CB-1",
            "EMPTY,Not drawn yet,,,",
        ),
        election=election,
    )
    assert shown == ["3 rows loaded into “Test Election”: 3 new, 0 updated, 0 unchanged."]
    import_file(
        official_client,
        "contest",
        csv_bytes(
            CONTEST_HEADER,
            "house-1,House District 1,,candidates,,HD-1,1,1,,2",
            "school-bond,School bond,,measure,,SD-2,1,1,0.6,3",
            "later,Later contest,,,,EMPTY,,,,4",
        ),
        election=election,
    )
    import_file(
        official_client,
        "candidate",
        csv_bytes(
            "contest,ballot_order,name_en,is_write_in",
            "house-1,1,Ann Lee,",
            "house-1,2,Write-ins,yes",
            "school-bond,1,Yes,no",
            "school-bond,2,No,no",
            "later,1,Someone,",
        ),
        election=election,
    )
    house, bond = election.contests.get(slug="house-1"), election.contests.get(slug="school-bond")

    assert _stations_of(house) == {"CA-1", "N-001", "N-002", "CB-2"}
    assert _stations_of(bond) == {"CA-2", "CB-1"}
    assert (bond.kind, str(bond.threshold)) == ("measure", "0.6000")
    assert list(house.candidates.values_list("name_en", "name_ar", "is_write_in")) == [
        ("Ann Lee", "", False),
        ("Write-ins", "", True),
    ]
    assert services.list_opening_problems(election) == [
        "contest “Later contest” is not voted on at any polling station"
    ]

    import_file(official_client, "electoraldistrict", csv_bytes(AREA_HEADER, "EMPTY,Drawn now,,S,"), election=election)
    assert services.list_opening_problems(election) == []
    services.open_election(election=election, actor=official)

    assert _sheet(official_client, house, "CA-1", "sheet-house-ca-1")[0] == 201
    assert _sheet(official_client, house, "N-002", "sheet-house-n-2")[0] == 201
    status, body = _sheet(official_client, house, "CB-1", "sheet-house-cb-1")
    assert (status, body["error"]["code"]) == (422, "contest_not_at_station")
    status, body = _sheet(official_client, bond, "CA-1", "sheet-bond-ca-1")
    assert (status, body["error"]["code"]) == (422, "contest_not_at_station")
    assert _sheet(official_client, bond, "CB-1", "sheet-bond-cb-1")[0] == 201


def test_each_imported_electoral_district_has_one_event_with_its_members(
    official_client: Client, election: Election
) -> None:
    start = last_event_id()

    import_file(official_client, "electoraldistrict", csv_bytes(AREA_HEADER, "ED,East,,S,N-001"), election=election)

    created, imported = events_since(start)
    assert (created.action, imported.action) == ("electoraldistrict.create", "import.electoraldistrict")
    assert created.after == {
        "election": election.pk,
        "code": "ED",
        "name": "East",
        "name_ar": "",
        "districts": [election.districts.get(code="S").pk],
        "stations": [election.stations.get(code="N-001").pk],
    }


def test_reimporting_electoral_districts_changes_nothing_and_a_new_member_list_is_one_change(
    official_client: Client, election: Election
) -> None:
    content = csv_bytes(AREA_HEADER, "ED-1,One,,N;S,", "ED-2,Two,,,N-001; S-001")
    import_file(official_client, "electoraldistrict", content, election=election)
    start = last_event_id()

    preview = upload(official_client, "electoraldistrict", content, election=election)
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["skip", "skip"]
    confirm(official_client, "electoraldistrict", preview)
    assert events_since(start) == []

    import_file(official_client, "electoraldistrict", csv_bytes(AREA_HEADER, "ED-2,Two,,,S-001"), election=election)

    (change, _import) = events_since(start)
    s_001, n_001 = (election.stations.get(code=code).pk for code in ("S-001", "N-001"))
    assert (change.action, change.before, change.after) == (
        "electoraldistrict.change",
        {"stations": sorted([n_001, s_001])},
        {"stations": [s_001]},
    )


def test_a_file_without_a_members_column_keeps_the_members(official_client: Client, election: Election) -> None:
    import_file(official_client, "electoraldistrict", csv_bytes(AREA_HEADER, "ED,East,,S,N-001"), election=election)

    import_file(official_client, "electoraldistrict", csv_bytes("code,name", "ED,East Side"), election=election)

    area = ElectoralDistrict.objects.get(election=election, code="ED")
    assert area.name == "East Side"
    assert list(area.districts.values_list("code", flat=True)) == ["S"]
    assert list(area.stations.values_list("code", flat=True)) == ["N-001"]


def test_bad_electoral_district_rows_are_named_and_the_good_ones_load(
    official_client: Client, election: Election
) -> None:
    content = csv_bytes(
        AREA_HEADER,
        "OK-1,Good,,N,",
        "BAD-1,Unknown district,,N;X,",
        "BAD-2,Unknown stations,,,N-001;Q-1;Q-2",
        "OK-1,Repeated,,S,",
        "bad code,Bad code,,,",
        "BAD-3,,,S,",
    )

    assert rejected_rows(official_client, "electoraldistrict", content, election=election) == [
        "Row 3: districts: No district with code “X” in this election.",
        "Row 4: stations: No polling stations with these codes in this election: “Q-1”, “Q-2”.",
        "Row 5: This row repeats code “OK-1” of row 2.",
        "Row 6: code: Use letters, digits, dots, dashes and underscores only.",
        "Row 7: name: This field cannot be blank.",
    ]
    confirm(
        official_client, "electoraldistrict", upload(official_client, "electoraldistrict", content, election=election)
    )
    assert list(ElectoralDistrict.objects.filter(election=election).values_list("code", flat=True)) == ["OK-1"]


def test_a_station_code_of_another_election_is_unknown_here(official_client: Client, election: Election) -> None:
    other = Election.objects.create(name="Other", slug="other", date=election.date)
    other_district = other.districts.create(code="O", name="Other")
    other.stations.create(district=other_district, code="O-1", name="Elsewhere", registered_voters=1)

    assert rejected_rows(
        official_client, "electoraldistrict", csv_bytes(AREA_HEADER, "ED,East,,O,O-1"), election=election
    ) == [
        "Row 2: districts: No district with code “O” in this election. stations: No polling station with code “O-1” "
        "in this election."
    ]


def test_bad_contest_rows_are_named_and_the_good_ones_load(official_client: Client, election: Election) -> None:
    ElectoralDistrict.objects.create(election=election, code="HD", name="House District")
    content = csv_bytes(
        CONTEST_HEADER,
        "council,Council,,,N,,5,5,,1",
        "lost,Unknown district,,,X,,1,1,,2",
        "both,Both areas,,,N,HD,1,1,,3",
        "threshold,Threshold on candidates,,candidates,,,1,1,0.5,4",
        "kind,Bad kind,,referendum,,,1,1,,5",
        "too-high,Too high,,measure,,,1,1,1.5,6",
        "nowhere,Unknown area,,,,ZZ,1,1,,7",
        "council,Council again,,,S,,1,1,,8",
        "no-seats,No seats,,,,,0,1,,9",
    )

    assert rejected_rows(official_client, "contest", content, election=election) == [
        "Row 3: district: No district with code “X” in this election.",
        "Row 4: Choose a district or an electoral district, not both.",
        "Row 5: threshold: Only a ballot measure has a threshold.",
        "Row 6: kind: Enter one of: candidates, measure.",
        "Row 7: threshold: Ensure this value is less than or equal to 1.",
        "Row 8: electoral_district: No electoral district with code “ZZ” in this election.",
        "Row 9: This row repeats slug “council” of row 2.",
        "Row 10: seats: Ensure this value is greater than or equal to 1.",
    ]
    confirm(official_client, "contest", upload(official_client, "contest", content, election=election))
    council = election.contests.get(slug="council")
    assert (council.district.code, council.seats, council.kind) == ("N", 5, "candidates")  # type: ignore[union-attr]
    assert sorted(election.contests.values_list("slug", flat=True)) == ["council", "mayor"]


def test_an_imported_contest_is_audited_with_its_area_kind_and_threshold(
    official_client: Client, election: Election
) -> None:
    area = ElectoralDistrict.objects.create(election=election, code="HD", name="House District")

    import_file(
        official_client, "contest", csv_bytes(CONTEST_HEADER, "bond,Bond,,Measure,,HD,1,1,0.6667,2"), election=election
    )

    event = AuditEvent.objects.get(action="contest.create")
    assert event.after is not None
    assert (event.after["kind"], event.after["electoral_district"], event.after["threshold"]) == (
        "measure",
        area.pk,
        "0.6667",
    )
