"""What the resources of an election's configuration share (see ``ElectionResource``)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import tablib
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from import_export import resources
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import Result, RowResult

from elections import services
from elections.models import Election
from elections.resources.cells import (
    ElectionCodesWidget,
    ElectionKeyWidget,
    PlainDecimalWidget,
    TextWidget,
    WholeNumberWidget,
    YesNoWidget,
    drop_trailing_blank_rows,
    is_blank_row,
    normalise_header,
    spreadsheet_row,
)
from elections.services import ConfigurationActor
from trust.audit import record_audit_event

logger = logging.getLogger(__name__)


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
    """What the configuration resources share: rows of one election, keys within it, safe cells, row reports.

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
        "BooleanField": YesNoWidget,
    }
    #: Columns a file must have; the others may be left out (new rows then take the model's default).
    required_columns: ClassVar[tuple[str, ...]] = ()
    #: How the model reaches its election, for the lookups.
    election_lookup: ClassVar[str] = "election"
    #: Related objects read for each exported row.
    related: ClassVar[tuple[str, ...]] = ()
    #: Many-to-many members read for each exported row.
    prefetched: ClassVar[tuple[str, ...]] = ()

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
            if isinstance(field.widget, ElectionKeyWidget | ElectionCodesWidget):
                field.widget.election = election

    @classmethod
    def get_result_class(cls) -> type[ElectionImportResult]:
        return ElectionImportResult

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = self._meta.model.objects.select_related(*self.related).prefetch_related(*self.prefetched)
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
