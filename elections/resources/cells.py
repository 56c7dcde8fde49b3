"""The cells and rows of an election's CSV and XLSX files: how one cell is read and written, and the row helpers.

Text that a spreadsheet would run as a formula is neutralised on export and restored on import; numbers are written
plainly, so a file reads back the same in any language; a related object is named by its key within the election.

A text cell is neutralised when its first character other than white space is ``=``, ``+``, ``-`` or ``@``, or when
it starts with a tab, carriage return or line feed (OWASP's rule for "CSV injection"): it gets an apostrophe in
front, which a spreadsheet shows as text, and an import takes it off again. So a party named ``-Independent-`` is
written ``'-Independent-`` and reads back as ``-Independent-``. Number columns are not text: a latitude of
``-33.9`` is written as it is, a number that a spreadsheet cannot run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import tablib
from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from import_export import widgets

from elections.models import Election

# Spreadsheets number rows from 1 and the header takes the first, so data row n is spreadsheet row n + 1.
HEADER_ROWS = 1

# A spreadsheet may run a cell starting with one of these as a formula, also after spaces or line breaks, which
# some trim on opening a CSV file. A line feed counts as a carriage return because XLSX stores a carriage return as one.
_FORMULA_START = re.compile(r"^'*(?:\s*[=+\-@]|[\t\r\n])")
_NEUTRALISED_FORMULA_START = re.compile(r"^'+(?:\s*[=+\-@]|[\t\r\n])")


def neutralise_formula(text: str) -> str:
    """``text`` with an apostrophe in front when a spreadsheet would otherwise read it as a formula: its first
    character other than white space is ``=``, ``+``, ``-`` or ``@``, or it starts with a tab or a line break.

    Text already starting with apostrophes before such a start gets one more, so that :func:`restore_formula`
    always gives back exactly the original.
    """
    return "'" + text if _FORMULA_START.match(text) else text


def restore_formula(text: str) -> str:
    """Undo :func:`neutralise_formula`."""
    return text[1:] if _NEUTRALISED_FORMULA_START.match(text) else text


def normalise_header(header: object) -> str:
    """A column name as the resources expect it: trimmed and in lower case."""
    return "" if header is None else str(header).strip().lower()


def is_blank_row(values: Iterable[object]) -> bool:
    """Whether every cell of a row is empty (spreadsheets often keep formatted but empty rows at the end)."""
    return all(value is None or str(value).strip() == "" for value in values)


def drop_trailing_blank_rows(dataset: tablib.Dataset) -> None:
    """Remove the empty rows at the end of ``dataset``; the row numbers of the others do not change."""
    while dataset.height and is_blank_row(dataset[-1]):
        del dataset[-1]


def spreadsheet_row(row_number: int) -> int:
    """The row number a spreadsheet shows for the ``row_number``-th data row (the header being row 1)."""
    return row_number + HEADER_ROWS


class TextWidget(widgets.CharWidget):
    """Text cells: formula-like text neutralised on export and restored on import, where spaces around are dropped."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            # A spreadsheet stores a typed 101 as the number 101.0.
            value = int(value)
        text = super().clean(value, row, **kwargs)
        return None if text is None else restore_formula(text.strip()).strip()

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else neutralise_formula(force_str(value))


def _read_decimal(value: object) -> Decimal | None:
    """The number in a cell, or None when it holds no finite number."""
    if isinstance(value, bool):
        return None
    try:
        # str() of a spreadsheet float is its shortest exact form: 31.95, not 31.949999999999999.
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class WholeNumberWidget(widgets.IntegerWidget):
    """Whole numbers, written plainly (no locale separators) so a file reads back the same in any language."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> int | None:
        if self.is_empty(value):
            return None
        number = _read_decimal(value)
        # Past 18 digits a value such as 1e999999999 would take minutes to become an int; no count is that large.
        if number is None or number != number.to_integral_value() or number.adjusted() > 18:
            raise ValueError(_("Enter a whole number."))
        return int(number)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class PlainDecimalWidget(widgets.DecimalWidget):
    """Decimal numbers with a dot, whatever the language of the page that exported them."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> Decimal | None:
        if self.is_empty(value):
            return None
        number = _read_decimal(value)
        if number is None:
            raise ValueError(_("Enter a number."))
        return number

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else format(value, "f")


class ElectionKeyWidget(widgets.ForeignKeyWidget):
    """A related object named by one of its fields (code, slug or abbreviation) within the election being imported."""

    def __init__(self, model: type[models.Model], field: str, **kwargs: Any) -> None:
        super().__init__(model, field=field, **kwargs)
        self.election: Election | None = None

    def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> models.QuerySet[Any]:
        return self.model.objects.filter(election=self.election)

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        key = TextWidget().clean(value)
        if not key:
            return None
        found = self.get_queryset(value, row).filter(**{self.field: key}).first()
        if found is None:
            raise ValueError(
                _("No %(model)s with %(field)s “%(value)s” in this election.")
                % {
                    "model": self.model._meta.verbose_name,
                    "field": self.model._meta.get_field(self.field).verbose_name,
                    "value": key,
                }
            )
        return found

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else neutralise_formula(force_str(getattr(value, self.field)))


class ChoiceWidget(TextWidget):
    """One of a model field's choices, in any case; an empty cell takes the field's default."""

    def __init__(self, model_field: models.Field[Any, Any]) -> None:
        super().__init__()
        self.choices = [str(value) for value, _label in model_field.choices or []]
        self.default = model_field.get_default()

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        text = super().clean(value, row, **kwargs)
        if not text:
            return self.default
        if text.lower() not in self.choices:
            raise ValueError(_("Enter one of: %(choices)s.") % {"choices": ", ".join(self.choices)})
        return text.lower()


class YesNoWidget(widgets.BooleanWidget):
    """Yes or no, written ``yes`` and ``no``; ``true``, ``false``, ``1`` and ``0`` read too, and an empty cell is no."""

    YES = frozenset({"yes", "true", "1"})
    NO = frozenset({"no", "false", "0", ""})

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if value is None else str(value).strip().lower()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(_("Enter yes or no."))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "yes" if value else "no"


# Codes within one cell are separated by this, with or without spaces around it: "N; S-1; S-2".
CODE_SEPARATOR = ";"


class ElectionCodesWidget(widgets.Widget):
    """Several objects of the election being imported, named by their codes in one cell (see ``CODE_SEPARATOR``).
    Exports list the codes sorted, so a file of the same objects is always the same file."""

    def __init__(self, model: type[models.Model]) -> None:
        super().__init__()
        self.model = model
        self.election: Election | None = None

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> list[models.Model]:
        text = TextWidget().clean(value) or ""
        # dict.fromkeys: a code listed twice names one object, and the order of the cell is kept.
        codes = list(dict.fromkeys(part.strip() for part in text.split(CODE_SEPARATOR) if part.strip()))
        if not codes:
            return []
        named = self.model._default_manager.filter(election=self.election, code__in=codes)
        found = {obj.code: obj for obj in named}  # type: ignore[attr-defined]
        unknown = [code for code in codes if code not in found]
        if len(unknown) == 1:
            raise ValueError(
                _("No %(model)s with %(field)s “%(value)s” in this election.")
                % {"model": self.model._meta.verbose_name, "field": _("code"), "value": unknown[0]}
            )
        if unknown:
            raise ValueError(
                _("No %(models)s with these codes in this election: %(codes)s.")
                % {"models": self.model._meta.verbose_name_plural, "codes": ", ".join(f"“{c}”" for c in unknown)}
            )
        return [found[code] for code in codes]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        objects = value.all() if hasattr(value, "all") else value
        codes = sorted(str(member.code) for member in objects)
        return neutralise_formula(f"{CODE_SEPARATOR} ".join(codes))
