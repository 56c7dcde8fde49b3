"""How an uploaded CSV or XLSX file is read and checked before any of its rows is imported.

A file of the wrong kind, in the wrong encoding, too large (or unpacking too large), empty, or without a column the
resource needs is refused with a ValidationError that says plainly what is wrong and what to do.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import TYPE_CHECKING

import tablib
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.formats.base_formats import XLSX, Format

from elections.resources import drop_trailing_blank_rows, normalise_header

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
else:
    StrOrPromise = str

# Enough for a national stations file; more would let one upload fill the cache and the server's memory.
MAX_IMPORT_FILE_SIZE = 10 * 1024 * 1024
# What a workbook may unpack to. A 10 MB workbook of real rows unpacks to a few tens of megabytes; a "zip bomb" of
# repeated bytes unpacks to gigabytes, which openpyxl would hold in memory.
MAX_XLSX_UNPACKED_SIZE = 100 * 1024 * 1024

ZIP_SIGNATURE = b"PK\x03\x04"
FILE_SIGNATURES: tuple[tuple[bytes, StrOrPromise], ...] = (
    (b"\x89PNG", gettext_lazy("a PNG image")),
    (b"%PDF", gettext_lazy("a PDF document")),
    (b"\xff\xd8\xff", gettext_lazy("a JPEG image")),
    (b"GIF8", gettext_lazy("a GIF image")),
    (b"\xd0\xcf\x11\xe0", gettext_lazy("an old Excel (XLS) or Word file")),
    (ZIP_SIGNATURE, gettext_lazy("an XLSX workbook or another ZIP archive")),
)


def _kind_of(data: bytes) -> StrOrPromise | None:
    """What a file that is not plain text is, judged by its first bytes."""
    return next((kind for signature, kind in FILE_SIGNATURES if data.startswith(signature)), None)


def read_upload(data: bytes, file_format: type[Format]) -> tablib.Dataset:
    """The rows of an uploaded file; a ValidationError says plainly why the file cannot be read."""
    kind = _kind_of(data)
    if issubclass(file_format, XLSX):
        if not data.startswith(ZIP_SIGNATURE):
            if kind is None:
                raise ValidationError(_("This is not an XLSX workbook. Choose the CSV format for a CSV file."))
            raise ValidationError(_("This is %(kind)s, not an XLSX workbook.") % {"kind": kind})
        refuse_oversized_workbook(data)
        try:
            return file_format().create_dataset(data)
        except StopIteration:
            raise ValidationError(_("The file is empty.")) from None
        except Exception:  # noqa: BLE001 - openpyxl raises many unrelated exception types for a damaged workbook
            raise ValidationError(
                _("This XLSX workbook cannot be read. Open it in a spreadsheet, save it again and upload it again.")
            ) from None
    if kind is not None:
        raise ValidationError(_("This is %(kind)s, not a CSV file.") % {"kind": kind})
    not_utf8 = _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
    if b"\x00" in data:
        # UTF-16 text, which some spreadsheets save as "Unicode text", has a zero byte in every other place.
        raise ValidationError(not_utf8)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(not_utf8) from None
    try:
        return file_format().create_dataset(text)
    except tablib.InvalidDimensions:
        raise ValidationError(_("Some rows of the file have more cells than the header row has columns.")) from None
    except csv.Error as error:
        raise ValidationError(_("The file cannot be read as CSV: %(error)s") % {"error": error}) from None


def refuse_oversized_workbook(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than ``MAX_XLSX_UNPACKED_SIZE``, judged from the sizes in the
    ZIP directory before anything is unpacked (Python's zipfile never unpacks a part past its recorded size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        return  # not a readable archive: openpyxl refuses it with the damaged-workbook message
    if unpacked > MAX_XLSX_UNPACKED_SIZE:
        raise ValidationError(
            _(
                "This XLSX workbook unpacks to %(size)s, more than the %(limit)s that can be imported. "
                "Split it into smaller files."
            )
            % {"size": filesizeformat(unpacked), "limit": filesizeformat(MAX_XLSX_UNPACKED_SIZE)}
        )


def check_columns(dataset: tablib.Dataset, required_columns: tuple[str, ...]) -> None:
    """Refuse a file without data rows or without one of ``required_columns``, naming what is missing."""
    headers = [normalise_header(header) for header in dataset.headers or []]
    if not any(headers):
        raise ValidationError(_("The file is empty."))
    repeated = sorted({header for header in headers if header and headers.count(header) > 1})
    if repeated:
        raise ValidationError(_("The column(s) %(columns)s appear more than once.") % {"columns": ", ".join(repeated)})
    missing = [column for column in required_columns if column not in headers]
    if missing:
        message = _("The file is missing the column(s): %(columns)s.") % {"columns": ", ".join(missing)}
        if ";" in headers[0]:
            message += " " + _("Columns must be separated by commas.")
        raise ValidationError(message)
    drop_trailing_blank_rows(dataset)
    if not dataset.height:
        raise ValidationError(_("The file has a header row but no data rows."))
