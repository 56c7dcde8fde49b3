"""How districts, polling stations, parties and candidates are read from and written to CSV and XLSX files.

A row names related objects by their code within one election (a station's district by district code, a candidate's
contest by slug and party by abbreviation), never by database id, so a file exported from one election imports
unchanged into the same or another election. The election itself is not a column: the official chooses it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

import tablib
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import Result, RowResult

from elections import services
from elections.models import Candidate, Contest, District, Election, Party, PollingStation
from elections.services import ConfigurationActor
from trust.audit import record_audit_event

logger = logging.getLogger(__name__)

# Spreadsheets number rows from 1 and the header takes the first, so data row n is spreadsheet row n + 1.
HEADER_ROWS = 1

# A spreadsheet may run a cell starting with one of these as a formula ("CSV injection"), so exports prefix an
# apostrophe. A line feed is there because XLSX stores a carriage return as one.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r\n]")
_NEUTRALISED_FORMULA_START = re.compile(r"^'+[=+\-@\t\r\n]")


def neutralise_formula(text: str) -> str:
    """``text`` with an apostrophe in front when a spreadsheet would otherwise read it as a formula.

    Text already starting with apostrophes before such a character gets one more, so that :func:`restore_formula`
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


class ElectionInstanceLoader(ModelInstanceLoader):
    """Finds the existing object a row describes, by its key within the election."""

    def get_instance(self, row: dict[str, Any]) -> Any:
        try:
            return super().get_instance(row)
        except ValueError:
            # A key that cannot even be read (an unknown contest, say) is reported by its own field; the row is new.
            return None


def _without_constraint_echoes(messages: dict[str, list[str]], model: type[models.Model]) -> dict[str, list[str]]:
    """``messages`` without those that only name a violated check constraint, when a worded reason is there too
    (the constraints repeat in the database what the model's validation explains)."""
    echoes = {
        str(constraint.get_violation_error_message())
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    }
    if all(message in echoes for field_messages in messages.values() for message in field_messages):
        return messages
    kept = {
        field: [message for message in field_messages if message not in echoes]
        for field, field_messages in messages.items()
    }
    return {field: field_messages for field, field_messages in kept.items() if field_messages}


class ElectionImportResult(Result):
    """The outcome of one import, with the election its rows went into."""

    election: Election | None = None


class ElectionResource(resources.ModelResource):
    """What the four resources share: rows of one election, keys within it, spreadsheet-safe cells, row reports.

    Pass ``election`` to import: new rows join it, and keys and codes are looked up in it only. Every row goes
    through the model's ``full_clean()``; a bad row is reported (by :func:`spreadsheet_row` number) and left out
    while the good rows load, and a row identical to what is stored is skipped.

    Each new or changed row is written by the configuration service of its model, as ``actor`` (by default the
    ``user`` the import runs for): the rules of an election hold for an import as for any other write, and each
    object gets its own audit event. The preview writes too, in the transaction it rolls back.
    """

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "CharField": TextWidget,
        "PositiveIntegerField": WholeNumberWidget,
        "PositiveSmallIntegerField": WholeNumberWidget,
        "DecimalField": PlainDecimalWidget,
    }
    #: Columns a file must have; the others may be left out (new rows then take the model's default).
    required_columns: ClassVar[tuple[str, ...]] = ()
    #: How the model reaches its election, for the lookups.
    election_lookup: ClassVar[str] = "election"
    #: Related objects read for each exported row.
    related: ClassVar[tuple[str, ...]] = ()

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        instance_loader_class = ElectionInstanceLoader

    def __init__(
        self,
        election: Election | None = None,
        actor: ConfigurationActor = None,
        client_address: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.election = election
        self.actor = actor
        self.client_address = client_address
        self.first_row_by_key: dict[tuple[str, ...], int] = {}
        for field in self.fields.values():
            if isinstance(field.widget, ElectionKeyWidget):
                field.widget.election = election

    @classmethod
    def get_result_class(cls) -> type[ElectionImportResult]:
        return ElectionImportResult

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = self._meta.model.objects.select_related(*self.related)
        if self.election is not None:
            queryset = queryset.filter(**{self.election_lookup: self.election})
        return queryset

    def init_instance(self, row: dict[str, Any] | None = None) -> models.Model:
        instance = super().init_instance(row)
        if self.election_lookup == "election":
            instance.election = self.election
        return instance

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        if self.election is None or self.election.is_final:
            raise ValueError(_("Choose an election that is not certified to import into."))
        dataset.headers = [normalise_header(header) for header in dataset.headers or []]
        drop_trailing_blank_rows(dataset)

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        if is_blank_row(row.values()):
            raise ValidationError(_("The row is empty."))
        columns = [self.fields[name].column_name for name in self.get_import_id_fields()]
        key = tuple("" if row.get(column) is None else str(row[column]).strip() for column in columns)
        if all(key):
            this_row = spreadsheet_row(kwargs["row_number"])
            first_row = self.first_row_by_key.setdefault(key, this_row)
            if first_row != this_row:
                raise ValidationError(
                    _("This row repeats %(columns)s “%(values)s” of row %(row)d.")
                    % {"columns": ", ".join(columns), "values": ", ".join(key), "row": first_row}
                )

    def validate_instance(
        self,
        instance: models.Model,
        import_validation_errors: dict[str, Any] | None = None,
        validate_unique: bool = True,
    ) -> None:
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            raise ValidationError(_without_constraint_echoes(error.message_dict, type(instance))) from None

    def import_row(self, row: dict[str, Any], instance_loader: Any, **kwargs: Any) -> RowResult:
        row_result = super().import_row(row, instance_loader, **kwargs)
        if row_result.is_error():
            # One row the database refuses must not cancel the good rows: report it like any other bad row.
            error = row_result.errors[0].error
            logger.warning("Import row %s refused: %r", spreadsheet_row(kwargs["row_number"]), error, exc_info=error)
            row_result.errors = []
            row_result.validation_error = ValidationError(
                _("This row could not be loaded: %(error)s") % {"error": error}
            )
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
        if not row_result.is_valid() and transaction.get_connection(self.get_db_connection_name()).in_atomic_block:
            # Each row runs in its own savepoint: undo whatever the rejected row did, and clear an aborted statement.
            transaction.set_rollback(True, using=self.get_db_connection_name())
        return row_result

    def import_data(self, dataset: tablib.Dataset, dry_run: bool = False, *args: Any, **kwargs: Any) -> Any:
        self.dry_run = dry_run
        if self.actor is None:
            self.actor = kwargs.get("user")
        return super().import_data(dataset, dry_run, *args, **kwargs)

    def import_data_inner(self, dataset: tablib.Dataset, dry_run: bool, *args: Any, **kwargs: Any) -> Any:
        # One results note for the whole file, not one per row; a preview, rolled back, notes nothing.
        with services.one_results_note_per_election(note=not dry_run):
            return super().import_data_inner(dataset, dry_run, *args, **kwargs)

    def do_instance_save(self, instance: Any, is_create: bool) -> None:
        self.save_through_service(instance, is_create=is_create)

    def save_through_service(self, instance: Any, *, is_create: bool) -> None:
        """Create or change ``instance`` through its model's configuration service."""
        raise NotImplementedError

    def after_import(self, dataset: tablib.Dataset, result: ElectionImportResult, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        result.election = self.election
        new, updated = result.totals[RowResult.IMPORT_TYPE_NEW], result.totals[RowResult.IMPORT_TYPE_UPDATE]
        if self.election is None or getattr(self, "dry_run", True) or not (new or updated):
            return
        # Each row has its event from its service; this one keeps what only the import knows (the file, the rows
        # left unchanged or rejected). The import's own transaction carries it, so a rolled-back import leaves none.
        record_audit_event(
            action=f"import.{self._meta.model._meta.model_name}",
            obj=self.election,
            actor=self.actor if isinstance(self.actor, User) else None,
            client_address=self.client_address,
            after={
                "file": kwargs.get("file_name") or "",
                "new": new,
                "updated": updated,
                "unchanged": result.totals[RowResult.IMPORT_TYPE_SKIP],
                "rejected": len(result.invalid_rows) + len(result.error_rows),
            },
            election_id=self.election.pk,
        )


class DistrictResource(ElectionResource):
    """Districts: ``code``, ``name``, ``name_ar``, ``parent`` (the code of the district it lies in, or empty).

    A parent must be in the election already or on an earlier row; exports list parents before their children.
    """

    parent = fields.Field(attribute="parent", column_name="parent", widget=ElectionKeyWidget(District, "code"))
    required_columns = ("code", "name")
    related = ("parent",)

    class Meta:
        model = District
        fields = ("code", "name", "name_ar", "parent")
        import_order = fields
        export_order = fields
        import_id_fields = ("code",)

    def iter_queryset(self, queryset: Any) -> Iterator[District]:
        districts = list(queryset)
        by_id = {district.pk: district for district in districts}
        depths: dict[int, int] = {}

        def depth(district: District) -> int:
            if district.pk not in depths:
                parent = by_id.get(district.parent_id) if district.parent_id else None
                # The guard value stops a walk around a cycle, which the model refuses anyway.
                depths[district.pk] = len(by_id)
                depths[district.pk] = 0 if parent is None else depth(parent) + 1
            return depths[district.pk]

        # sorted() is stable: within one depth the districts keep the order they were asked for in.
        return iter(sorted(districts, key=depth))

    def save_through_service(self, instance: District, *, is_create: bool) -> None:
        write = services.create_district if is_create else services.change_district
        write(district=instance, actor=self.actor, client_address=self.client_address)


class PollingStationResource(ElectionResource):
    """Polling stations: ``code``, ``name``, ``name_ar``, ``district`` (its code), ``registered_voters``,
    ``latitude`` and ``longitude`` (both or neither)."""

    district = fields.Field(attribute="district", column_name="district", widget=ElectionKeyWidget(District, "code"))
    required_columns = ("code", "name", "district", "registered_voters")
    related = ("district",)

    class Meta:
        model = PollingStation
        fields = ("code", "name", "name_ar", "district", "registered_voters", "latitude", "longitude")
        import_order = fields
        export_order = fields
        import_id_fields = ("code",)

    def save_through_service(self, instance: PollingStation, *, is_create: bool) -> None:
        write = services.create_station if is_create else services.change_station
        write(station=instance, actor=self.actor, client_address=self.client_address)


class PartyResource(ElectionResource):
    """Parties: ``abbreviation``, ``name``, ``name_ar`` and ``colour`` (#RRGGBB)."""

    required_columns = ("abbreviation", "name")

    class Meta:
        model = Party
        fields = ("abbreviation", "name", "name_ar", "colour")
        import_order = fields
        export_order = fields
        import_id_fields = ("abbreviation",)

    def save_through_service(self, instance: Party, *, is_create: bool) -> None:
        write = services.create_party if is_create else services.change_party
        write(party=instance, actor=self.actor, client_address=self.client_address)


class CandidateResource(ElectionResource):
    """Candidates: ``contest`` (its slug), ``ballot_order``, ``name_en``, ``name_ar`` and ``party`` (its
    abbreviation; empty for an independent). A candidate is known by its contest and ballot order."""

    contest = fields.Field(attribute="contest", column_name="contest", widget=ElectionKeyWidget(Contest, "slug"))
    party = fields.Field(attribute="party", column_name="party", widget=ElectionKeyWidget(Party, "abbreviation"))
    required_columns = ("contest", "ballot_order", "name_en", "name_ar")
    election_lookup = "contest__election"
    related = ("contest", "party")

    class Meta:
        model = Candidate
        fields = ("contest", "ballot_order", "name_en", "name_ar", "party")
        import_order = fields
        export_order = fields
        import_id_fields = ("contest", "ballot_order")

    def save_through_service(self, instance: Candidate, *, is_create: bool) -> None:
        write = services.create_candidate if is_create else services.change_candidate
        write(candidate=instance, actor=self.actor, client_address=self.client_address)
