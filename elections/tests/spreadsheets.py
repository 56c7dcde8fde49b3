"""Helpers for the import and export tests of an election's configuration: files as an official makes them, and the
admin's import and export pages driven as a browser would."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from import_export.formats.base_formats import CSV, XLSX, Format

from elections.models import Election
from elections.resources import ElectionResource
from elections.tests.support import messages_of
from elections.uploads import check_columns, read_upload

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

FORMAT_INDEX = {"csv": "0", "xlsx": "1"}
FORMAT_CLASS: dict[str, type[Format]] = {"csv": CSV, "xlsx": XLSX}


def csv_bytes(*lines: str) -> bytes:
    return "\r\n".join(lines).encode("utf-8") + b"\r\n"


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def upload(client: Client, model: str, content: bytes, *, election: Election, file_format: str = "csv") -> Any:
    """Post a file to the admin's import page of ``model``; the preview, or the form with its errors."""
    return client.post(
        reverse(f"admin:elections_{model}_import"),
        {
            "resource": "0",
            "election": election.pk,
            "format": FORMAT_INDEX[file_format],
            "import_file": SimpleUploadedFile(f"{model}.{file_format}", content),
        },
    )


def confirm(client: Client, model: str, preview: TestResponse) -> TestResponse:
    """Press “Confirm import” on a preview page, following the redirect."""
    data = preview.context["confirm_form"].initial
    return client.post(reverse(f"admin:elections_{model}_process_import"), data, follow=True)


def import_file(
    client: Client, model: str, content: bytes, *, election: Election, file_format: str = "csv"
) -> list[str]:
    """Upload and confirm a file whose rows all load; the messages shown afterwards."""
    preview = upload(client, model, content, election=election, file_format=file_format)
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, preview.context["form"].errors
    assert preview.context["rejected_rows"] == []
    return messages_of(confirm(client, model, preview))


def rejected_rows(client: Client, model: str, content: bytes, *, election: Election) -> list[str]:
    """The rows the preview of a CSV file says cannot load."""
    preview = upload(client, model, content, election=election)
    assert preview.status_code == 200
    assert "result" in preview.context, preview.context["form"].errors
    return list(preview.context["rejected_rows"])


def export(client: Client, model: str, resource_class: type[ElectionResource], file_format: str) -> bytes:
    """Download every object of ``model`` through the admin's export page, with every column."""
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


def transfer(
    resource: ElectionResource, queryset: Any, file_format: type[Format], target: Election, official: User
) -> Any:
    """Export ``queryset`` as the admin does, read the file back as the admin does, and import it into ``target``."""
    data = file_format().export_data(resource.export(queryset))
    content = data.encode("utf-8-sig") if isinstance(data, str) else data
    dataset = read_upload(content, file_format)
    check_columns(dataset, resource.required_columns)
    return type(resource)(election=target, actor=official).import_data(dataset, dry_run=False, raise_errors=True)
