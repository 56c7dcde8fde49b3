"""``manage.py seed_demo`` loads the fictional Riverland election once, with one working account per role."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from elections.demo import list_demo_clerk_station_codes
from elections.demo_data import DEMO_DISTRICTS, DEMO_ELECTION_SLUG, DISTRICT_SPAN
from elections.demo_regional import REGIONAL_ELECTION_SLUG
from elections.models import (
    Candidate,
    ClerkAssignment,
    Contest,
    District,
    DistrictBoundary,
    Election,
    ElectoralDistrict,
    Party,
    PollingStation,
    SupervisorAssignment,
    VoteType,
)
from elections.selectors import list_contest_station_ids, list_stations_for_user
from elections.services import list_opening_problems, open_election
from elections.tests.support import ResultsChanges
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db

ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")
LATIN_LETTERS = re.compile(r"[A-Za-z]")
MODELS = (
    Election,
    District,
    DistrictBoundary,
    PollingStation,
    Party,
    Contest,
    Candidate,
    User,
    ClerkAssignment,
    SupervisorAssignment,
)


def run_seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot_database() -> dict[str, object]:
    """Every row the demo touches, so two snapshots are equal only when nothing changed."""
    rows: dict[str, object] = {model.__name__: sorted(model.objects.values_list(), key=repr) for model in MODELS}
    rows["groups"] = sorted(User.groups.through.objects.values_list("user_id", "group_id"))
    return rows


def contrast_with_white(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


@pytest.fixture
def demo() -> Election:
    run_seed_demo()
    return Election.objects.get(slug=DEMO_ELECTION_SLUG)


def test_demo_election_is_a_draft_counted_both_ways(demo: Election) -> None:
    assert demo.name == "Riverland Municipal Election 2026"
    assert ARABIC_LETTERS.search(demo.name_ar)
    assert demo.status == Election.Status.DRAFT
    assert demo.results_visibility == Election.Visibility.HIDDEN
    assert demo.counting_method == Election.CountingMethod.BOTH
    assert demo.time_zone == "Asia/Amman"


def test_demo_has_districts_stations_parties_and_contests_in_the_planned_ranges(demo: Election) -> None:
    assert demo.districts.count() == 5
    assert 100 <= demo.stations.count() <= 130
    assert 5 <= demo.parties.count() <= 6
    assert demo.contests.count() == 5
    for contest in demo.contests.filter(kind=Contest.Kind.CANDIDATES):
        assert 4 <= contest.candidates.count() <= 14, contest.slug


def test_demo_contests_cover_a_mayor_a_council_and_one_district(demo: Election) -> None:
    mayor, council, district_contest, ward, measure = demo.contests.order_by("position")
    assert (mayor.district, mayor.seats, mayor.max_choices) == (None, 1, 1)
    assert (council.district, council.seats, council.max_choices) == (None, 5, 5)
    assert district_contest.district is not None
    assert district_contest.district.stations.exists()
    assert ward.electoral_district is not None
    assert measure.kind == Contest.Kind.MEASURE
    assert list(measure.candidates.values_list("name_en", flat=True)) == ["Yes", "No"]


def test_the_demo_ward_crosses_districts_without_following_them(demo: Election) -> None:
    ward = demo.contests.get(slug="riverfront-ward")
    covered = list_contest_station_ids(election_id=demo.pk)[ward.pk]
    districts = set(PollingStation.objects.filter(pk__in=covered).values_list("district__code", flat=True))
    assert districts == {"HB", "RS"}
    harbour = demo.stations.filter(district__code="HB")
    assert 0 < harbour.filter(pk__in=covered).count() < harbour.count()


def test_the_regional_demo_shows_vote_types_residual_votes_write_ins_and_unknown_voters(demo: Election) -> None:
    regional = Election.objects.get(slug=REGIONAL_ELECTION_SLUG)
    assert list(regional.vote_types.values_list("code", flat=True)) == ["election_day", "early", "mail"]
    assert (regional.counts_blank_and_invalid, regional.counts_undervotes_and_overvotes) == (False, True)
    assert Candidate.objects.filter(contest__election=regional, is_write_in=True).count() == 2
    assert regional.contests.filter(kind=Contest.Kind.MEASURE).count() == 1
    assert regional.contests.filter(electoral_district__isnull=False).count() == 1
    assert regional.stations.filter(registered_voters__isnull=True).exists()
    assert list_opening_problems(regional) == []


def test_demo_districts_stations_and_parties_are_named_in_english_and_arabic(demo: Election) -> None:
    names = [
        *demo.districts.values_list("name", "name_ar"),
        *demo.stations.values_list("name", "name_ar"),
        *demo.parties.values_list("name", "name_ar"),
    ]
    for name, name_ar in names:
        assert LATIN_LETTERS.search(name), name
        assert ARABIC_LETTERS.search(name_ar), name


def test_every_demo_candidate_has_an_english_and_an_arabic_name(demo: Election) -> None:
    candidates = Candidate.objects.filter(contest__election=demo)
    for candidate in candidates:
        assert LATIN_LETTERS.search(candidate.name_en)
        assert not ARABIC_LETTERS.search(candidate.name_en)
        assert ARABIC_LETTERS.search(candidate.name_ar)
        assert not LATIN_LETTERS.search(candidate.name_ar)
    assert candidates.filter(party__isnull=True).exists(), "some candidates stand as independents"
    assert candidates.filter(party__isnull=False).exists()


def test_every_demo_station_has_voters_and_coordinates_inside_its_district(demo: Election) -> None:
    areas = {d.code: d for d in DEMO_DISTRICTS}
    for station in demo.stations.select_related("district"):
        assert station.registered_voters is not None, station.code
        assert 300 <= station.registered_voters <= 1500, station.code
        assert station.latitude is not None, station.code
        assert station.longitude is not None, station.code
        area = areas[station.district.code]
        assert area.south <= station.latitude <= area.south + DISTRICT_SPAN[0], station.code
        assert area.west <= station.longitude <= area.west + DISTRICT_SPAN[1], station.code
    # Boxes of one polling centre share its address; the centres themselves are spread out.
    assert demo.stations.values("latitude", "longitude").distinct().count() >= 30


def _inside(longitude: float, latitude: float, ring: list[list[float]]) -> bool:
    crossings = 0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > latitude) != (y1 > latitude) and longitude < x0 + (latitude - y0) * (x1 - x0) / (y1 - y0):
            crossings += 1
    return crossings % 2 == 1


def test_every_demo_district_has_an_outline_around_its_own_stations_loaded_by_the_import_service(
    demo: Election,
) -> None:
    boundaries = {b.district.code: b for b in DistrictBoundary.objects.filter(district__election=demo)}
    assert set(boundaries) == {d.code for d in DEMO_DISTRICTS}
    for station in demo.stations.select_related("district"):
        lon, lat = float(station.longitude or 0), float(station.latitude or 0)
        inside = [code for code, b in boundaries.items() if _inside(lon, lat, b.coordinates[0][0])]
        assert inside == [station.district.code], station.code
    for boundary in boundaries.values():
        assert 35.8 < boundary.west < boundary.east < 36.0
        assert 31.85 < boundary.south < boundary.north < 32.05
        assert boundary.positions > 100  # waves, not a ruler's lines
    event = AuditEvent.objects.get(action="election.boundaries_import", election_id=demo.pk)
    assert event.actor is None
    assert event.after is not None
    assert event.after["new"] == 5


def test_demo_party_colours_are_distinct_and_visible_on_white(demo: Election) -> None:
    colours = [party.colour.upper() for party in demo.parties.all()]
    assert len(set(colours)) == len(colours)
    for colour in colours:
        assert contrast_with_white(colour) >= 3, colour


def test_demo_accounts_sign_in_with_their_demo_passwords_and_sit_in_their_groups(demo: Election) -> None:
    official = User.objects.get(username="official")
    supervisor = User.objects.get(username="supervisor")
    clerk = User.objects.get(username="clerk")
    assert official.check_password("demo-official-2026")
    assert supervisor.check_password("demo-supervisor-2026")
    assert clerk.check_password("demo-clerk-2026")
    assert official.is_staff
    assert not official.is_superuser
    assert not supervisor.is_staff
    assert not clerk.is_staff
    assert list(official.groups.values_list("name", flat=True)) == ["Officials"]
    assert list(supervisor.groups.values_list("name", flat=True)) == ["Supervisors"]
    assert list(clerk.groups.values_list("name", flat=True)) == ["Clerks"]


def test_demo_supervisor_oversees_one_district_and_the_clerk_a_few_of_its_stations(demo: Election) -> None:
    supervisor = User.objects.get(username="supervisor")
    clerk = User.objects.get(username="clerk")
    (assignment,) = SupervisorAssignment.objects.filter(user=supervisor)
    clerk_stations = list(list_stations_for_user(clerk))
    assert 2 <= len(clerk_stations) <= 3
    assert {station.district_id for station in clerk_stations} == {assignment.district_id}
    assert set(list_stations_for_user(supervisor)) == set(assignment.district.stations.all())


def test_demo_election_is_ready_for_the_official_to_open(demo: Election) -> None:
    assert list_opening_problems(demo) == []
    opened = open_election(election=demo, actor=User.objects.get(username="official"))
    assert opened.status == Election.Status.OPEN


def test_seeding_leaves_a_trace_in_the_audit_log(demo: Election) -> None:
    event = AuditEvent.objects.get(action="election.seed_demo")
    assert event.election_id == demo.pk
    assert event.after is not None
    assert event.after["stations"] == demo.stations.count()


def test_seeding_writes_every_object_through_its_service_and_notes_the_results_once(
    db: None, results_changes: ResultsChanges
) -> None:
    run_seed_demo()
    demo = Election.objects.get(slug=DEMO_ELECTION_SLUG)
    regional = Election.objects.get(slug=REGIONAL_ELECTION_SLUG)
    created = Counter(AuditEvent.objects.filter(action__endswith=".create").values_list("action", flat=True).order_by())
    assert created == {
        "election.create": 2,
        "district.create": District.objects.count(),
        "pollingstation.create": PollingStation.objects.count(),
        "party.create": Party.objects.count(),
        "contest.create": Contest.objects.count(),
        "electoraldistrict.create": ElectoralDistrict.objects.count(),
        "votetype.create": VoteType.objects.count(),
        "candidate.create": Candidate.objects.count(),
        "districtboundary.create": DistrictBoundary.objects.count(),
        "user.create": 3,
        "supervisorassignment.create": 1,
        "clerkassignment.create": ClerkAssignment.objects.count(),
    }
    assert AuditEvent.objects.filter(action="user.group_add").count() == 3
    assert not AuditEvent.objects.filter(actor__isnull=False).exists()
    assert sorted(change.election_id for change in results_changes.noted) == sorted([demo.pk, regional.pk])


def test_seeding_prints_the_demo_logins_and_addresses(db: None) -> None:
    output = run_seed_demo()
    assert "Created the demo election" in output
    for login in ("official", "demo-official-2026", "supervisor", "demo-supervisor-2026", "clerk", "demo-clerk-2026"):
        assert login in output
    assert "http://127.0.0.1:8000/" in output
    assert "http://127.0.0.1:8000/admin/" in output


def test_seeding_twice_changes_nothing_and_says_the_demo_exists(demo: Election) -> None:
    before = snapshot_database()
    events_before = AuditEvent.objects.count()
    output = run_seed_demo()
    assert "already exists" in output
    assert "demo-official-2026" in output
    assert snapshot_database() == before
    assert AuditEvent.objects.count() == events_before


def test_seeding_again_keeps_a_password_that_was_changed(demo: Election) -> None:
    official = User.objects.get(username="official")
    official.set_password("a-private-passphrase-2026")
    official.save()
    output = run_seed_demo()
    official.refresh_from_db()
    assert official.check_password("a-private-passphrase-2026")
    assert "password was left as it is" in output


def test_seeding_is_the_same_every_time(demo: Election) -> None:
    def fingerprint() -> list[tuple[object, ...]]:
        stations = PollingStation.objects.order_by("code").values_list(
            "code", "name_ar", "registered_voters", "latitude", "longitude"
        )
        candidates = Candidate.objects.order_by("contest__slug", "ballot_order").values_list(
            "contest__slug", "ballot_order", "name_en", "party__abbreviation"
        )
        return [*stations, *candidates]

    first = fingerprint()
    # Districts and parties are protected from cascading deletes, so take the election apart leaf first.
    for model in (Candidate, Contest, PollingStation, Party, District, Election):
        model.objects.all().delete()
    run_seed_demo()
    assert fingerprint() == first


def test_if_empty_loads_the_demo_into_an_empty_database(db: None) -> None:
    output = run_seed_demo("--if-empty")
    assert Election.objects.filter(slug=DEMO_ELECTION_SLUG).exists()
    assert "Created the demo election" in output


def test_if_empty_on_a_database_with_an_election_loads_nothing_but_still_prints_the_logins(election: Election) -> None:
    before = snapshot_database()
    output = run_seed_demo("--if-empty")
    assert snapshot_database() == before
    assert list(Election.objects.values_list("slug", flat=True)) == ["test-election"]
    assert "already holds an election" in output
    assert "demo-official-2026" in output
    assert "http://127.0.0.1:8000/admin/" in output


def test_every_address_printed_follows_the_port_chosen(db: None) -> None:
    output = run_seed_demo("--base-url", "http://127.0.0.1:8080/")
    assert ":8000" not in output
    for address in ("http://127.0.0.1:8080/admin/", "http://127.0.0.1:8080/entry/", "--url http://127.0.0.1:8080"):
        assert address in output
    # Each login is printed with where it starts, and the clerk with the boxes that are theirs.
    assert "clerk       demo-clerk-2026        http://127.0.0.1:8080/entry/" in output
    assert ", ".join(list_demo_clerk_station_codes()) in output
