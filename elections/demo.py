"""The Riverland demo: a fictional municipal election, with one staff account per role, for trying VoteTracker out.

Everything here is made up: the town of Riverland in the Lower Vale region, its districts, polling centres, parties
and candidates. Its coordinates put it in the Asia/Amman time zone so that maps have somewhere to draw; they describe
no real building. The data come from a fixed random seed, so every database seeded with them holds the same election.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from elections import services
from elections.models import (
    Candidate,
    ClerkAssignment,
    Contest,
    District,
    Election,
    Party,
    PollingStation,
    SupervisorAssignment,
)
from elections.services import OPERATOR
from trust.audit import record_audit_event
from trust.roles import CLERKS_GROUP, OFFICIALS_GROUP, SUPERVISORS_GROUP

DEMO_ELECTION_SLUG = "riverland-2026"
DEMO_RANDOM_SEED = 2026
DEMO_STATIONS_PER_DISTRICT = (21, 25)
DEMO_REGISTERED_VOTERS = (300, 1500)
# Degrees of latitude and longitude each district spans: a few kilometres, the size of a town quarter.
DISTRICT_SPAN = (Decimal("0.024"), Decimal("0.030"))


@dataclass(frozen=True)
class DemoDistrict:
    """A district and the south-west corner of the area its polling centres lie in."""

    code: str
    name: str
    name_ar: str
    south: Decimal
    west: Decimal


@dataclass(frozen=True)
class DemoParty:
    """A party with its colour on the results pages."""

    abbreviation: str
    name: str
    name_ar: str
    colour: str


@dataclass(frozen=True)
class DemoContest:
    """A contest, how many candidates stand in it and how many of them are independents."""

    slug: str
    name: str
    name_ar: str
    seats: int
    max_choices: int
    candidates: int
    independents: int
    district_code: str | None = None


@dataclass(frozen=True)
class DemoAccount:
    """A demo login. The password is public on purpose: it exists only in demo databases."""

    username: str
    password: str
    group: str
    is_staff: bool
    role: str


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


DEMO_ELECTION_NAME = "Riverland Municipal Election 2026"
DEMO_ELECTION_NAME_AR = "انتخابات بلدية ريفرلاند 2026"
DEMO_ELECTION_DATE = dt.date(2026, 9, 22)
DEMO_TIME_ZONE = "Asia/Amman"

DEMO_DISTRICTS = (
    DemoDistrict("OT", "Old Town", "البلدة القديمة", Decimal("31.940"), Decimal("35.900")),
    DemoDistrict("HB", "Harbour", "الميناء", Decimal("31.912"), Decimal("35.868")),
    DemoDistrict("OH", "Olive Hills", "تلال الزيتون", Decimal("31.968"), Decimal("35.868")),
    DemoDistrict("CG", "Cedar Gate", "بوابة الأرز", Decimal("31.968"), Decimal("35.932")),
    DemoDistrict("RS", "Riverside", "ضفة النهر", Decimal("31.912"), Decimal("35.932")),
)

# Okabe–Ito hues and two darker tones: told apart with colour-blindness, each at least 3:1 against white.
DEMO_PARTIES = (
    DemoParty("RRP", "Riverland Renewal Party", "حزب التجديد الريفرلاندي", "#0072B2"),
    DemoParty("CA", "Civic Alliance", "التحالف المدني", "#D55E00"),
    DemoParty("GVM", "Green Valley Movement", "حركة الوادي الأخضر", "#009E73"),
    DemoParty("WFB", "Workers' and Farmers' Bloc", "كتلة العمال والمزارعين", "#CC79A7"),
    DemoParty("FYL", "Future Youth List", "قائمة شباب المستقبل", "#8C6D00"),
    DemoParty("NHF", "National Heritage Front", "جبهة التراث الوطني", "#4D4D4D"),
)

DEMO_CONTESTS = (
    DemoContest(
        "mayor", "Mayor of Riverland", "رئيس بلدية ريفرلاند", seats=1, max_choices=1, candidates=7, independents=1
    ),
    DemoContest("council", "Municipal Council", "المجلس البلدي", seats=5, max_choices=5, candidates=12, independents=2),
    DemoContest(
        "harbour-council",
        "Harbour District Council",
        "مجلس حي الميناء",
        seats=3,
        max_choices=3,
        candidates=8,
        independents=2,
        district_code="HB",
    ),
)

GIVEN_NAMES = (
    ("Amal", "أمل"),
    ("Omar", "عمر"),
    ("Layla", "ليلى"),
    ("Khaled", "خالد"),
    ("Rana", "رنا"),
    ("Yousef", "يوسف"),
    ("Huda", "هدى"),
    ("Samir", "سمير"),
    ("Nour", "نور"),
    ("Tariq", "طارق"),
    ("Salma", "سلمى"),
    ("Fadi", "فادي"),
    ("Dina", "دينا"),
    ("Ibrahim", "إبراهيم"),
    ("Maha", "مها"),
    ("Ziad", "زياد"),
    ("Reem", "ريم"),
    ("Bassam", "بسام"),
    ("Hala", "هالة"),
    ("Nabil", "نبيل"),
    ("Lina", "لينا"),
    ("Majed", "ماجد"),
    ("Sawsan", "سوسن"),
    ("Hani", "هاني"),
    ("Ruba", "ربى"),
    ("Walid", "وليد"),
    ("Abeer", "عبير"),
    ("Jamal", "جمال"),
)

FAMILY_NAMES = (
    ("Haddad", "حداد"),
    ("Nasser", "ناصر"),
    ("Khoury", "خوري"),
    ("Al-Masri", "المصري"),
    ("Saleh", "صالح"),
    ("Qasem", "قاسم"),
    ("Obeidat", "عبيدات"),
    ("Hamdan", "حمدان"),
    ("Al-Tamimi", "التميمي"),
    ("Barakat", "بركات"),
    ("Al-Shami", "الشامي"),
    ("Jaber", "جابر"),
    ("Khalil", "خليل"),
    ("Darwish", "درويش"),
    ("Odeh", "عودة"),
    ("Mansour", "منصور"),
    ("Azzam", "عزام"),
    ("Al-Halabi", "الحلبي"),
    ("Karam", "كرم"),
    ("Al-Najjar", "النجار"),
    ("Awad", "عوض"),
    ("Shahin", "شاهين"),
    ("Al-Khatib", "الخطيب"),
    ("Suleiman", "سليمان"),
    ("Al-Hourani", "الحوراني"),
    ("Yaseen", "ياسين"),
    ("Al-Bitar", "البيطار"),
    ("Zaher", "زاهر"),
)

# Polling centres are schools and halls holding a few ballot boxes each, and each box is a polling station.
CENTRE_NAMES = (
    ("Al-Noor", "النور"),
    ("Al-Yarmouk", "اليرموك"),
    ("Al-Andalus", "الأندلس"),
    ("Al-Zaytoun", "الزيتون"),
    ("Al-Amal", "الأمل"),
    ("Al-Salam", "السلام"),
    ("Ibn Sina", "ابن سينا"),
    ("Al-Khansa", "الخنساء"),
    ("Al-Farabi", "الفارابي"),
    ("Al-Rawda", "الروضة"),
    ("Al-Nakheel", "النخيل"),
    ("Al-Wahda", "الوحدة"),
    ("Al-Karama", "الكرامة"),
    ("Ibn Khaldun", "ابن خلدون"),
    ("Al-Bayan", "البيان"),
    ("Al-Huda", "الهدى"),
    ("Al-Rabie", "الربيع"),
    ("Al-Fajr", "الفجر"),
    ("Al-Manara", "المنارة"),
    ("Al-Yasmeen", "الياسمين"),
)
CENTRE_KINDS = (
    ("{} Primary School", "مدرسة {} الأساسية"),
    ("{} Secondary School", "مدرسة {} الثانوية"),
    ("{} Girls' School", "مدرسة {} للبنات"),
    ("{} Community Centre", "مركز {} المجتمعي"),
    ("{} Sports Club", "نادي {} الرياضي"),
)

DEMO_ACCOUNTS = (
    DemoAccount("official", "demo-official-2026", OFFICIALS_GROUP, True, "sets elections up in the administration"),
    DemoAccount("supervisor", "demo-supervisor-2026", SUPERVISORS_GROUP, False, "supervises the Harbour district"),
    DemoAccount("clerk", "demo-clerk-2026", CLERKS_GROUP, False, "enters votes for three Harbour ballot boxes"),
)
SUPERVISED_DISTRICT_CODE = "HB"
CLERK_STATION_COUNT = 3


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
            ),
            actor=OPERATOR,
        )
        nominees, people = people[: contest_plan.candidates], people[contest_plan.candidates :]
        for candidate in _plan_candidates(rng, contest=contest, plan=contest_plan, nominees=nominees, parties=parties):
            services.create_candidate(candidate=candidate, actor=OPERATOR)
    return election


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
    supervisor = User.objects.get(username="supervisor")
    services.create_supervisor_assignment(
        assignment=SupervisorAssignment(user=supervisor, district=district), actor=OPERATOR
    )
    clerk = User.objects.get(username="clerk")
    for station in district.stations.order_by("code")[:CLERK_STATION_COUNT]:
        services.create_clerk_assignment(assignment=ClerkAssignment(user=clerk, station=station), actor=OPERATOR)
