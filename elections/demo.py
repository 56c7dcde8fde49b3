"""The Riverland demo: a fictional municipal election, with one staff account per role, for trying VoteTracker out.

The election is drawn from the made-up tables of ``elections.demo_data`` with a fixed random seed, so every database
seeded with it holds the same election.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from elections import services
from elections.demo_boundaries import riverland_boundary_file
from elections.demo_data import (
    CENTRE_KINDS,
    CENTRE_NAMES,
    CLERK_STATION_COUNT,
    DEMO_ACCOUNTS,
    DEMO_AREAS,
    DEMO_CLERK_USERNAME,
    DEMO_CONTESTS,
    DEMO_DISTRICTS,
    DEMO_ELECTION_DATE,
    DEMO_ELECTION_NAME,
    DEMO_ELECTION_NAME_AR,
    DEMO_ELECTION_SLUG,
    DEMO_MEASURE,
    DEMO_MEASURE_CHOICES,
    DEMO_PARTIES,
    DEMO_RANDOM_SEED,
    DEMO_REGISTERED_VOTERS,
    DEMO_STATIONS_PER_DISTRICT,
    DEMO_SUPERVISOR_USERNAME,
    DEMO_TIME_ZONE,
    DISTRICT_SPAN,
    FAMILY_NAMES,
    GIVEN_NAMES,
    SUPERVISED_DISTRICT_CODE,
    DemoAccount,
    DemoArea,
    DemoContest,
    DemoDistrict,
)
from elections.demo_regional import REGIONAL_ELECTION_SLUG, create_regional_demo_election
from elections.models import (
    Candidate,
    ClerkAssignment,
    Contest,
    District,
    Election,
    ElectoralDistrict,
    Party,
    PollingStation,
    SupervisorAssignment,
)
from elections.services import OPERATOR
from trust.audit import record_audit_event

# Both elections seed_demo loads: everything a demo database holds besides its accounts.
DEMO_ELECTION_SLUGS = (DEMO_ELECTION_SLUG, REGIONAL_ELECTION_SLUG)


@dataclass(frozen=True)
class AccountOutcome:
    """Whether a demo account exists, and whether this run created it."""

    account: DemoAccount
    exists: bool
    created: bool


@dataclass(frozen=True)
class DemoSeedResult:
    """What a seeding run found and did."""

    election: Election | None
    created: bool
    accounts: list[AccountOutcome]


def seed_demo(*, only_if_empty: bool = False) -> DemoSeedResult:
    """Create the Riverland demo election and its staff accounts, unless they exist.

    Idempotent: the election is looked up by its slug and the accounts by username, and nothing that exists is
    changed (an account keeps the password it has). With ``only_if_empty`` nothing is created when the database
    already holds any election. Everything is written through the configuration services, as the operator who runs
    the command, so each object has its audit event; the public results are noted once, at the end.
    """
    with transaction.atomic(), services.one_results_note_per_election():
        election = Election.objects.filter(slug=DEMO_ELECTION_SLUG).first()
        if election is not None or (only_if_empty and Election.objects.exists()):
            return DemoSeedResult(election=election, created=False, accounts=describe_demo_accounts())
        election = _create_demo_election(random.Random(DEMO_RANDOM_SEED))  # noqa: S311 - repeatable demo data, no secrets
        accounts = [_ensure_account(account) for account in DEMO_ACCOUNTS]
        _assign_demo_staff(election)
        record_audit_event(
            action="election.seed_demo",
            obj=election,
            actor=None,
            after=summarise_election(election),
            election_id=election.pk,
        )
    return DemoSeedResult(election=election, created=True, accounts=accounts)


def describe_demo_accounts() -> list[AccountOutcome]:
    """Which demo accounts exist, without changing any."""
    existing = set(
        User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).values_list("username", flat=True)
    )
    return [AccountOutcome(account=a, exists=a.username in existing, created=False) for a in DEMO_ACCOUNTS]


def list_demo_clerk_station_codes() -> list[str]:
    """The codes of the Riverland ballot boxes the demo clerk is assigned to, as the database holds them now."""
    return list(
        ClerkAssignment.objects.filter(user__username=DEMO_CLERK_USERNAME, station__election__slug=DEMO_ELECTION_SLUG)
        .order_by("station__code")
        .values_list("station__code", flat=True)
    )


def list_non_demo_data() -> list[str]:
    """What a database holds besides the demo: elections other than the demo's and accounts other than its logins.

    Empty means that resetting the demo loses nothing anyone made, only what was done while trying the demo out.
    """
    others = [
        f"election {slug}"
        for slug in Election.objects.exclude(slug__in=DEMO_ELECTION_SLUGS)
        .order_by("slug")
        .values_list("slug", flat=True)
    ]
    others += [
        f"account {username}"
        for username in User.objects.exclude(username__in=[a.username for a in DEMO_ACCOUNTS])
        .order_by("username")
        .values_list("username", flat=True)
    ]
    return others


def summarise_election(election: Election) -> dict[str, int]:
    """How big ``election`` is: counts of its districts, stations, parties, contests and candidates."""
    return {
        "districts": election.districts.count(),
        "stations": election.stations.count(),
        "parties": election.parties.count(),
        "contests": election.contests.count(),
        "candidates": Candidate.objects.filter(contest__election=election).count(),
    }


def _create_demo_election(rng: random.Random) -> Election:
    election = services.create_election(
        election=Election(
            slug=DEMO_ELECTION_SLUG,
            name=DEMO_ELECTION_NAME,
            name_ar=DEMO_ELECTION_NAME_AR,
            date=DEMO_ELECTION_DATE,
            time_zone=DEMO_TIME_ZONE,
            counting_method=Election.CountingMethod.BOTH,
        ),
        actor=OPERATOR,
    )
    districts = [
        services.create_district(
            district=District(election=election, code=d.code, name=d.name, name_ar=d.name_ar), actor=OPERATOR
        )
        for d in DEMO_DISTRICTS
    ]
    centres = [(name, kind) for name in CENTRE_NAMES for kind in CENTRE_KINDS]
    rng.shuffle(centres)
    for district_plan, district in zip(DEMO_DISTRICTS, districts, strict=True):
        for station in _plan_stations(rng, election=election, plan=district_plan, district=district, centres=centres):
            services.create_station(station=station, actor=OPERATOR)
    parties = [
        services.create_party(
            party=Party(
                election=election, abbreviation=p.abbreviation, name=p.name, name_ar=p.name_ar, colour=p.colour
            ),
            actor=OPERATOR,
        )
        for p in DEMO_PARTIES
    ]
    district_by_code = {d.code: d for d in districts}
    area_by_code = {plan.code: _create_demo_area(election, plan, district_by_code) for plan in DEMO_AREAS}
    # No two candidates share a given name or a family name, so each one is easy to tell apart.
    wanted = sum(c.candidates for c in DEMO_CONTESTS)
    people = list(zip(rng.sample(GIVEN_NAMES, k=wanted), rng.sample(FAMILY_NAMES, k=wanted), strict=True))
    for position, contest_plan in enumerate(DEMO_CONTESTS, start=1):
        contest = services.create_contest(
            contest=Contest(
                election=election,
                slug=contest_plan.slug,
                name=contest_plan.name,
                name_ar=contest_plan.name_ar,
                seats=contest_plan.seats,
                max_choices=contest_plan.max_choices,
                position=position,
                district=district_by_code[contest_plan.district_code] if contest_plan.district_code else None,
                electoral_district=area_by_code[contest_plan.area_code] if contest_plan.area_code else None,
            ),
            actor=OPERATOR,
        )
        nominees, people = people[: contest_plan.candidates], people[contest_plan.candidates :]
        for candidate in _plan_candidates(rng, contest=contest, plan=contest_plan, nominees=nominees, parties=parties):
            services.create_candidate(candidate=candidate, actor=OPERATOR)
    _create_demo_measure(election, position=len(DEMO_CONTESTS) + 1)
    # Outlines drawn around the stations just placed, loaded as an official's boundary file would be.
    services.import_boundaries(
        election=election,
        data=riverland_boundary_file(election),
        actor=OPERATOR,
        file_name="riverland-districts.geojson",
    )
    create_regional_demo_election()
    return election


def _create_demo_area(election: Election, plan: DemoArea, district_by_code: dict[str, District]) -> ElectoralDistrict:
    boxes = PollingStation.objects.filter(district=district_by_code[plan.boxes_from]).order_by("code")
    return services.create_electoral_district(
        electoral_district=ElectoralDistrict(election=election, code=plan.code, name=plan.name, name_ar=plan.name_ar),
        districts=[district_by_code[c] for c in plan.district_codes],
        stations=list(boxes[: plan.box_count]),
        actor=OPERATOR,
    )


def _create_demo_measure(election: Election, *, position: int) -> None:
    measure = services.create_contest(
        contest=Contest(
            election=election,
            slug=DEMO_MEASURE.slug,
            name=DEMO_MEASURE.name,
            name_ar=DEMO_MEASURE.name_ar,
            kind=Contest.Kind.MEASURE,
            threshold=DEMO_MEASURE.threshold,
            position=position,
        ),
        actor=OPERATOR,
    )
    for order, (name_en, name_ar) in enumerate(DEMO_MEASURE_CHOICES, start=1):
        services.create_candidate(
            candidate=Candidate(contest=measure, name_en=name_en, name_ar=name_ar, ballot_order=order), actor=OPERATOR
        )


def _plan_stations(
    rng: random.Random,
    *,
    election: Election,
    plan: DemoDistrict,
    district: District,
    centres: list[tuple[tuple[str, str], tuple[str, str]]],
) -> list[PollingStation]:
    """The ballot boxes of one district, grouped in polling centres that sit inside the district's area."""
    stations: list[PollingStation] = []
    wanted = rng.randint(*DEMO_STATIONS_PER_DISTRICT)
    centre_number = 0
    while len(stations) < wanted:
        centre_number += 1
        (place_en, place_ar), (kind_en, kind_ar) = centres.pop()
        centre_en, centre_ar = kind_en.format(place_en), kind_ar.format(place_ar)
        latitude = plan.south + DISTRICT_SPAN[0] * Decimal(rng.random())
        longitude = plan.west + DISTRICT_SPAN[1] * Decimal(rng.random())
        boxes = min(rng.randint(2, 4), wanted - len(stations))
        for box in range(1, boxes + 1):
            stations.append(
                PollingStation(
                    election=election,
                    district=district,
                    code=f"{plan.code}-{centre_number:02d}-{box}",
                    name=f"{centre_en}, box {box}",
                    name_ar=f"{centre_ar}، صندوق {box}",
                    registered_voters=rng.randint(*DEMO_REGISTERED_VOTERS),
                    latitude=latitude.quantize(Decimal("0.000001")),
                    longitude=longitude.quantize(Decimal("0.000001")),
                )
            )
    return stations


def _plan_candidates(
    rng: random.Random,
    *,
    contest: Contest,
    plan: DemoContest,
    nominees: list[tuple[tuple[str, str], tuple[str, str]]],
    parties: list[Party],
) -> list[Candidate]:
    """One candidate per party first, then more from random parties, then the independents; ballot order shuffled."""
    partisan = plan.candidates - plan.independents
    affiliations: list[Party | None] = [parties[i % len(parties)] for i in range(min(partisan, len(parties)))]
    affiliations += [rng.choice(parties) for _ in range(partisan - len(affiliations))]
    affiliations += [None] * plan.independents
    rng.shuffle(affiliations)
    return [
        Candidate(
            contest=contest,
            name_en=f"{given_en} {family_en}",
            name_ar=f"{given_ar} {family_ar}",
            party=party,
            ballot_order=order,
        )
        for order, (((given_en, given_ar), (family_en, family_ar)), party) in enumerate(
            zip(nominees, affiliations, strict=True), start=1
        )
    ]


def _ensure_account(account: DemoAccount) -> AccountOutcome:
    if User.objects.filter(username=account.username).exists():
        return AccountOutcome(account=account, exists=True, created=False)
    user = User(username=account.username, is_staff=account.is_staff)
    user.set_password(account.password)
    services.create_staff_user(user=user, actor=OPERATOR)
    services.add_user_to_group(user=user, group=Group.objects.get(name=account.group), actor=OPERATOR)
    return AccountOutcome(account=account, exists=True, created=True)


def _assign_demo_staff(election: Election) -> None:
    """Give the demo supervisor one district and the demo clerk a few of its ballot boxes."""
    district = election.districts.get(code=SUPERVISED_DISTRICT_CODE)
    supervisor = User.objects.get(username=DEMO_SUPERVISOR_USERNAME)
    services.create_supervisor_assignment(
        assignment=SupervisorAssignment(user=supervisor, district=district), actor=OPERATOR
    )
    clerk = User.objects.get(username=DEMO_CLERK_USERNAME)
    for station in district.stations.order_by("code")[:CLERK_STATION_COUNT]:
        services.create_clerk_assignment(assignment=ClerkAssignment(user=clerk, station=station), actor=OPERATOR)
