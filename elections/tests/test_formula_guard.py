"""Exported cells never start a spreadsheet formula, not even after white space (OWASP's "CSV injection" rule), and
legitimate text and numbers that look like one still read back as they were."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client

from elections.models import Election, Party, PollingStation
from elections.resources import neutralise_formula, restore_formula
from elections.tests.test_imports import copy_districts, export, import_file, new_election

pytestmark = pytest.mark.django_db

FORMULAS_AFTER_WHITE_SPACE = [" =1+1", "\t=1+1", "\n+cmd", "\r\n@SUM(1,2)", "  -2+3", '\u00a0=HYPERLINK("x")']


def exported_cells(content: bytes, file_format: str) -> list[dict[str, object]]:
    """The rows of an exported file as a spreadsheet opens them: cell values keyed by column, XLSX cells as their
    stored type tells (a formula cell keeps its formula text, tagged so the test can see it)."""
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header, *rows = list(sheet.iter_rows())
    names = [str(cell.value) for cell in header]
    return [
        {
            name: ("FORMULA:" if cell.data_type == "f" else "") + str(cell.value or "")
            for name, cell in zip(names, row, strict=True)
        }
        for row in rows
    ]


def is_shown_as_text(cell: object) -> bool:
    """Whether a spreadsheet shows the cell as it is instead of running it: it starts with an apostrophe."""
    return isinstance(cell, str) and cell.startswith("'")


@pytest.mark.parametrize("text", [*FORMULAS_AFTER_WHITE_SPACE, "=1+1", "-", "@", "\tTabbed", "\rReturned"])
def test_a_formula_start_after_white_space_is_neutralised_and_restored_exactly(text: str) -> None:
    neutralised = neutralise_formula(text)
    assert neutralised == "'" + text
    assert restore_formula(neutralised) == text


@pytest.mark.parametrize("text", ["Plain", "a=b", "Nord-Est", "' =already quoted", "'", "", "  Spaced name"])
def test_text_that_starts_no_formula_is_left_alone_or_restored_exactly(text: str) -> None:
    assert restore_formula(neutralise_formula(text)) == text
    if not text.startswith("'"):
        assert neutralise_formula(text) == text


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_formulas_after_white_space_open_as_text(
    official_client: Client, election: Election, file_format: str
) -> None:
    district = election.districts.get(code="N")
    for number, name in enumerate(FORMULAS_AFTER_WHITE_SPACE, start=1):
        PollingStation.objects.create(
            election=election, district=district, code=f"W-{number}", name=name, name_ar=name, registered_voters=1
        )

    rows = {
        row["code"]: row for row in exported_cells(export(official_client, "pollingstation", file_format), file_format)
    }

    for number, name in enumerate(FORMULAS_AFTER_WHITE_SPACE, start=1):
        row = rows[f"W-{number}"]
        assert row["name"] == row["name_ar"] == "'" + name.replace("\r\n", "\n" if file_format == "xlsx" else "\r\n")
        assert is_shown_as_text(row["name"])


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_negative_numbers_and_dashed_names_round_trip(
    official_client: Client, election: Election, file_format: str
) -> None:
    """As the module says: a negative latitude is a number, written as it is; a name that starts with a dash is
    text, written with an apostrophe in front and read back without it."""
    district = election.districts.get(code="N")
    PollingStation.objects.create(
        election=election,
        district=district,
        code="S-1",
        name="-Independent-",
        name_ar="- مستقل -",
        registered_voters=10,
        latitude=Decimal("-33.9"),
        longitude=Decimal("-70.65"),
    )
    Party.objects.create(election=election, name="-Independent-", abbreviation="IND")

    stations = export(official_client, "pollingstation", file_format)
    parties = export(official_client, "party", file_format)

    station = next(row for row in exported_cells(stations, file_format) if row["code"] == "S-1")
    assert (station["name"], station["name_ar"]) == ("'-Independent-", "'- مستقل -")
    assert Decimal(str(station["latitude"])) == Decimal("-33.9")
    assert Decimal(str(station["longitude"])) == Decimal("-70.65")
    party = next(row for row in exported_cells(parties, file_format) if row["abbreviation"] == "IND")
    assert party["name"] == "'-Independent-"

    target = new_election()
    copy_districts(election, target)
    import_file(official_client, "pollingstation", stations, election=target, file_format=file_format)
    import_file(official_client, "party", parties, election=target, file_format=file_format)
    imported = PollingStation.objects.get(election=target, code="S-1")
    assert (imported.name, imported.name_ar) == ("-Independent-", "- مستقل -")
    assert (imported.latitude, imported.longitude) == (Decimal("-33.9"), Decimal("-70.65"))
    assert Party.objects.get(election=target, abbreviation="IND").name == "-Independent-"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formulas_after_white_space_import_as_the_trimmed_text(
    official_client: Client, election: Election, file_format: str
) -> None:
    """Import trims the spaces around text, so what comes back is the formula-looking text itself, never a formula."""
    district = election.districts.get(code="N")
    for number, name in enumerate(FORMULAS_AFTER_WHITE_SPACE, start=1):
        PollingStation.objects.create(
            election=election, district=district, code=f"W-{number}", name=name, registered_voters=1
        )
    content = export(official_client, "pollingstation", file_format)

    target = new_election()
    copy_districts(election, target)
    import_file(official_client, "pollingstation", content, election=target, file_format=file_format)

    imported = dict(PollingStation.objects.filter(election=target).values_list("code", "name"))
    assert [imported[f"W-{n}"] for n in range(1, len(FORMULAS_AFTER_WHITE_SPACE) + 1)] == [
        name.strip() for name in FORMULAS_AFTER_WHITE_SPACE
    ]
