"""The Riverland demo's data: a fictional municipal election, its places, parties, names and staff accounts.

Everything here is made up: the town of Riverland in the Lower Vale region, its districts, polling centres, parties
and candidates. Its coordinates put it in the Asia/Amman time zone so that maps have somewhere to draw; they describe
no real building. ``elections.demo`` draws stations and candidates from these tables with a fixed random seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

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
    area_code: str | None = None


@dataclass(frozen=True)
class DemoArea:
    """An electoral district that is not one of the districts: whole districts plus the first few boxes of another."""

    code: str
    name: str
    name_ar: str
    district_codes: tuple[str, ...]
    boxes_from: str
    box_count: int


@dataclass(frozen=True)
class DemoMeasure:
    """A ballot measure: a question answered yes or no, passing at ``threshold`` of the votes."""

    slug: str
    name: str
    name_ar: str
    threshold: Decimal


@dataclass(frozen=True)
class DemoAccount:
    """A demo login, what it may do and the path where it starts. The password is public on purpose: it exists only
    in demo databases."""

    username: str
    password: str
    group: str
    is_staff: bool
    role: str
    home: str


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
    DemoContest(
        "riverfront-ward",
        "Riverfront Ward Councillor",
        "عضو مجلس حي الواجهة النهرية",
        seats=1,
        max_choices=1,
        candidates=4,
        independents=1,
        area_code="RF",
    ),
)

# The Riverfront ward runs along the river: all of Riverside and the first Harbour boxes, across two districts.
DEMO_AREAS = (DemoArea("RF", "Riverfront Ward", "حي الواجهة النهرية", ("RS",), boxes_from="HB", box_count=6),)

DEMO_MEASURE = DemoMeasure(
    "measure-a",
    "Measure A: bond for a new public library",
    "الإجراء أ: سندات لإنشاء مكتبة عامة جديدة",
    threshold=Decimal("0.55"),
)
DEMO_MEASURE_CHOICES = (("Yes", "نعم"), ("No", "لا"))

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
    ("Karim", "كريم"),
    ("Mona", "منى"),
    ("Adel", "عادل"),
    ("Rasha", "رشا"),
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
    ("Al-Rifai", "الرفاعي"),
    ("Habash", "حبش"),
    ("Al-Zoubi", "الزعبي"),
    ("Nimri", "النمري"),
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

# Where each demo login starts: the administration for the official, the entry site for the staff who enter.
DEMO_OFFICIAL_USERNAME = "official"
DEMO_SUPERVISOR_USERNAME = "supervisor"
DEMO_CLERK_USERNAME = "clerk"
DEMO_ACCOUNTS = (
    DemoAccount(
        DEMO_OFFICIAL_USERNAME,
        "demo-official-2026",
        OFFICIALS_GROUP,
        True,
        "sets elections up, opens them for entry, publishes results",
        "/admin/",
    ),
    DemoAccount(
        DEMO_SUPERVISOR_USERNAME,
        "demo-supervisor-2026",
        SUPERVISORS_GROUP,
        False,
        "supervises every Harbour ballot box (HB-…): reviews, quarantines, releases",
        "/entry/",
    ),
    DemoAccount(
        DEMO_CLERK_USERNAME,
        "demo-clerk-2026",
        CLERKS_GROUP,
        False,
        "enters tally sheets and turnout for three Harbour ballot boxes",
        "/entry/",
    ),
)
SUPERVISED_DISTRICT_CODE = "HB"
CLERK_STATION_COUNT = 3
