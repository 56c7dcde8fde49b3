"""Officials import and export the shapes of a real election: vote types, stations whose registered voters are
unknown, write-in candidates and names in one language, ballot measures; every kind of file round-trips."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_export.formats.base_formats import CSV, XLSX, Format

from elections import services
from elections.models import Candidate, Contest, District, Election, ElectoralDistrict, PollingStation, VoteType
from elections.resources import (
    CandidateResource,
    ContestResource,
    DistrictResource,
    ElectionResource,
    ElectoralDistrictResource,
    PartyResource,
    PollingStationResource,
    VoteTypeResource,
)
from elections.tests.spreadsheets import (
    confirm,
    csv_bytes,
    export,
    import_file,
    new_election,
    rejected_rows,
    rows_of,
    transfer,
    upload,
)

pytestmark = pytest.mark.django_db

VOTE_TYPE_HEADER = "code,name,name_ar,nist_type,position"
# In the order a file of each may name what the ones before it hold.
CONFIGURATION: list[tuple[str, type[ElectionResource]]] = [
    ("district", DistrictResource),
    ("pollingstation", PollingStationResource),
    ("electoraldistrict", ElectoralDistrictResource),
    ("votetype", VoteTypeResource),
    ("party", PartyResource),
    ("contest", ContestResource),
    ("candidate", CandidateResource),
]


def configuration_of(election: Election) -> dict[str, list[tuple[Any, ...]]]:
    """Everything an election's files hold, by the codes within it (never database ids)."""
    areas = ElectoralDistrict.objects.filter(election=election).prefetch_related("districts", "stations")
    contests = Contest.objects.filter(election=election).select_related("district", "electoral_district")
    return {
        "districts": sorted(
            (d.code, d.name, d.name_ar, d.parent.code if d.parent else "")
            for d in District.objects.filter(election=election).select_related("parent")
        ),
        "stations": sorted(
            (s.code, s.name, s.name_ar, s.district.code, s.registered_voters or -1, s.latitude or 0, s.longitude or 0)
            for s in PollingStation.objects.filter(election=election).select_related("district")
        ),
        "areas": sorted(
            (
                a.code,
                a.name,
                a.name_ar,
                sorted(d.code for d in a.districts.all()),
                sorted(s.code for s in a.stations.all()),
            )
            for a in areas
        ),
        "vote_types": sorted(
            VoteType.objects.filter(election=election).values_list("code", "name", "name_ar", "nist_type", "position")
        ),
        "contests": sorted(
            (
                c.slug,
                c.name,
                c.name_ar,
                c.kind,
                c.district.code if c.district else "",
                c.electoral_district.code if c.electoral_district else "",
                c.seats,
                c.max_choices,
                c.threshold or -1,
                c.position,
            )
            for c in contests
        ),
        "candidates": sorted(
            (
                c.contest.slug,
                c.ballot_order,
                c.name_en,
                c.name_ar,
                c.party.abbreviation if c.party else "",
                c.is_write_in,
            )
            for c in Candidate.objects.filter(contest__election=election).select_related("contest", "party")
        ),
    }


@pytest.fixture
def shaped(election: Election) -> Election:
    """The shared election with every new shape: an unknown station size, vote types, an electoral district, a
    ballot measure with a threshold, a write-in line and a candidate named in English only."""
    PollingStation.objects.filter(code="N-002").update(registered_voters=None)
    VoteType.objects.create(election=election, code="ED", name="Election day", nist_type="election-day", position=1)
    VoteType.objects.create(election=election, code="MAIL", name="Mail", name_ar="بريد", nist_type="absentee-mail")
    area = ElectoralDistrict.objects.create(election=election, code="HD-1", name="House 1", name_ar="مجلس ١")
    area.districts.add(election.districts.get(code="S"))
    area.stations.add(election.stations.get(code="N-001"))
    measure = Contest.objects.create(
        election=election, name="Bond", slug="bond", kind="measure", electoral_district=area, threshold=Decimal("0.6")
    )
    Candidate.objects.create(contest=measure, name_en="Yes", ballot_order=1)
    Candidate.objects.create(contest=measure, name_en="No", ballot_order=2)
    Candidate.objects.create(
        contest=election.contests.get(slug="mayor"), name_en="Write-ins", ballot_order=3, is_write_in=True
    )
    return election


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_elections_whole_configuration_exported_imports_unchanged_into_a_fresh_one(
    official_client: Client, shaped: Election, file_format: str
) -> None:
    files = [(model, export(official_client, model, resource, file_format)) for model, resource in CONFIGURATION]
    target = new_election()

    for model, content in files:
        shown = import_file(official_client, model, content, election=target, file_format=file_format)
        assert "0 updated, 0 unchanged" in shown[0], (model, shown)

    assert configuration_of(target) == configuration_of(shaped)
    for model, content in files:
        preview = upload(official_client, model, content, election=target, file_format=file_format)
        assert {row.import_type for row in preview.context["result"].valid_rows()} == {"skip"}, model


def test_exported_files_have_the_documented_columns(official_client: Client, shaped: Election) -> None:
    headers = {
        model: rows_of(export(official_client, model, resource, "csv"), "csv")[0] for model, resource in CONFIGURATION
    }

    assert headers["electoraldistrict"] == ["code", "name", "name_ar", "districts", "stations"]
    assert headers["votetype"] == ["code", "name", "name_ar", "nist_type", "position"]
    assert headers["contest"] == [
        "slug",
        "name",
        "name_ar",
        "kind",
        "district",
        "electoral_district",
        "seats",
        "max_choices",
        "threshold",
        "position",
    ]
    assert headers["candidate"] == ["contest", "ballot_order", "name_en", "name_ar", "party", "is_write_in"]
    area_rows = rows_of(export(official_client, "electoraldistrict", ElectoralDistrictResource, "csv"), "csv")
    assert area_rows[1] == ["HD-1", "House 1", "مجلس ١", "S", "N-001"]


def test_vote_types_load_into_a_draft_and_bad_rows_are_named(official_client: Client, election: Election) -> None:
    content = csv_bytes(
        VOTE_TYPE_HEADER,
        "ED,Election day,يوم الاقتراع,election-day,1",
        "EARLY,Early,,Early,2",
        "MAIL,Mail,,by-post,3",
        "ED,Again,,other,4",
        "PROV,Provisional,,,5",
    )

    assert rejected_rows(official_client, "votetype", content, election=election) == [
        "Row 4: nist_type: Enter one of: election-day, early, absentee, absentee-mail, absentee-in-person, "
        "provisional, uocava, other.",
        "Row 5: This row repeats code “ED” of row 2.",
    ]
    confirm(official_client, "votetype", upload(official_client, "votetype", content, election=election))
    assert list(VoteType.objects.filter(election=election).values_list("code", "nist_type")) == [
        ("ED", "election-day"),
        ("EARLY", "early"),
        ("PROV", "other"),
    ]


def test_vote_types_of_an_open_election_are_refused_row_by_row_and_an_unchanged_file_still_loads(
    official_client: Client, official: User, election: Election
) -> None:
    import_file(
        official_client, "votetype", csv_bytes(VOTE_TYPE_HEADER, "ED,Election day,,election-day,1"), election=election
    )
    services.open_election(election=election, actor=official)

    rejected = rejected_rows(
        official_client,
        "votetype",
        csv_bytes(VOTE_TYPE_HEADER, "ED,Election day,,election-day,1", "MAIL,Mail,,absentee-mail,2"),
        election=election,
    )

    assert rejected == [
        "Row 3: This row could not be loaded: The vote types of “Test Election” can no longer change: it is Open "
        "for entry, and every tally sheet gives its votes per vote type as they were when it left draft."
    ]
    assert list(VoteType.objects.filter(election=election).values_list("code", flat=True)) == ["ED"]


def test_stations_with_unknown_registered_voters_load_and_bad_counts_are_named(
    official_client: Client, election: Election
) -> None:
    content = csv_bytes(
        "code,name,district,registered_voters", "N-010,Unknown size,N,", "N-011,Negative,N,-5", "N-001,Now unknown,N,"
    )

    assert rejected_rows(official_client, "pollingstation", content, election=election) == [
        "Row 3: registered_voters: Ensure this value is greater than or equal to 0."
    ]
    confirm(official_client, "pollingstation", upload(official_client, "pollingstation", content, election=election))
    assert dict(election.stations.filter(code__in=["N-001", "N-010"]).values_list("code", "registered_voters")) == {
        "N-001": None,
        "N-010": None,
    }


def test_candidates_need_no_arabic_name_and_write_ins_are_marked(official_client: Client, election: Election) -> None:
    content = csv_bytes(
        "contest,ballot_order,name_en,name_ar,party,is_write_in",
        "mayor,3,Write-ins,,,YES",
        "mayor,4,Dana Cole,,,",
        "mayor,5,Maybe Someone,,,maybe",
        "mayor,6,,,,no",
    )

    assert rejected_rows(official_client, "candidate", content, election=election) == [
        "Row 4: is_write_in: Enter yes or no.",
        "Row 5: name_en: This field cannot be blank.",
    ]
    confirm(official_client, "candidate", upload(official_client, "candidate", content, election=election))
    assert list(
        Candidate.objects.filter(contest__slug="mayor", ballot_order__gte=3).values_list(
            "name_en", "name_ar", "is_write_in"
        )
    ) == [("Write-ins", "", True), ("Dana Cole", "", False)]


# --- round trip for all inputs -----------------------------------------------------------------------------------

NAMES = (
    st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=30).map(str.strip).filter(bool)
)
STATION_CODES = ["N-001", "N-002", "S-001"]
AREAS = st.lists(
    st.fixed_dictionaries(
        {
            "code": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,9}", fullmatch=True),
            "name": NAMES,
            "districts": st.sets(st.sampled_from(["N", "S"])),
            "stations": st.sets(st.sampled_from(STATION_CODES)),
            "contest": st.sampled_from(["candidates", "measure", "majority measure"]),
            "threshold": st.decimals(min_value=0, max_value=1, places=4),
        }
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda area: area["code"],
)


def _source_with(election: Election, areas: list[dict[str, Any]]) -> None:
    for number, plan in enumerate(areas, start=1):
        area = ElectoralDistrict.objects.create(election=election, code=plan["code"], name=plan["name"])
        area.districts.set(election.districts.filter(code__in=plan["districts"]))
        area.stations.set(election.stations.filter(code__in=plan["stations"]))
        is_measure = plan["contest"] != "candidates"
        Contest.objects.create(
            election=election,
            name=plan["name"],
            slug=f"contest-{number}",
            kind="measure" if is_measure else "candidates",
            electoral_district=area,
            threshold=plan["threshold"] if plan["contest"] == "measure" else None,
            position=number,
        )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(areas=AREAS, file_format=st.sampled_from([CSV, XLSX]))
def test_random_electoral_districts_and_their_contests_round_trip(
    election: Election, official: User, areas: list[dict[str, Any]], file_format: type[Format]
) -> None:
    with transaction.atomic():
        _source_with(election, areas)
        target = new_election("target")
        transfer(DistrictResource(), election.districts.all(), file_format, target, official)
        transfer(PollingStationResource(), election.stations.all(), file_format, target, official)

        results = [
            transfer(resource, queryset, file_format, target, official)
            for resource, queryset in (
                (ElectoralDistrictResource(), ElectoralDistrict.objects.filter(election=election)),
                (ContestResource(), Contest.objects.filter(election=election, electoral_district__isnull=False)),
            )
        ]
        again = transfer(
            ElectoralDistrictResource(),
            ElectoralDistrict.objects.filter(election=election),
            file_format,
            target,
            official,
        )

        assert not any(result.has_validation_errors() for result in results), [r.invalid_rows for r in results]
        source, copied = configuration_of(election), configuration_of(target)
        assert copied["areas"] == source["areas"]
        assert copied["contests"] == [row for row in source["contests"] if row[5]]
        assert again.totals["skip"] == len(areas)
        transaction.set_rollback(True)
