"""Import and export of an election's configuration (vote types, districts, polling stations, electoral districts,
parties, contests and candidates) through the admin; the file formats are in ``docs/imports.md``.

The official uploads a CSV or XLSX file and chooses the election it belongs to. The file is checked first (format,
encoding, columns); a preview then shows what each row will do and lists every row that cannot load, by row number
and reason. Confirming loads the good rows and leaves the bad ones out, and says which.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX, Format
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.results import Result, RowResult
from import_export.tmp_storages import CacheStorage

from elections.models import Election
from elections.resources import ElectionImportResult, spreadsheet_row
from elections.uploads import MAX_IMPORT_FILE_SIZE, check_columns, read_upload
from trust.http import get_client_address

# The preview lists every rejected row; the message after loading names this many, then counts the rest.
MAX_REJECTED_ROWS_IN_MESSAGES = 20


def refuse_final_election(election: Election) -> Election:
    """``election``, unless it is certified: nothing of a certified election may change."""
    if election.is_final:
        raise ValidationError(
            _("“%(election)s” is certified: its districts, stations, parties and candidates can no longer change.")
            % {"election": election}
        )
    return election


def describe_rejected_rows(result: Result) -> list[str]:
    """One line per row that did not load: “Row 3: registered_voters: Enter a whole number.”"""
    lines = []
    for invalid in result.invalid_rows:
        problems = [
            message
            if column == NON_FIELD_ERRORS
            else _("%(column)s: %(message)s") % {"column": column, "message": message}
            for column, column_messages in invalid.error_dict.items()
            for message in column_messages
        ]
        lines.append(
            _("Row %(row)d: %(problems)s") % {"row": spreadsheet_row(invalid.number), "problems": " ".join(problems)}
        )
    for error_row in result.error_rows:
        for error in error_row.errors:
            lines.append(
                _("Row %(row)d: %(problems)s") % {"row": spreadsheet_row(error_row.number), "problems": error.error}
            )
    return lines


class UploadExpired(Exception):
    """The file uploaded for a preview is no longer kept."""


class SharedUploadStorage(CacheStorage):
    """Keeps an upload between preview and confirm in the cache, which every app node shares (a local temporary
    folder would not be there when the confirm reaches another node)."""

    def read(self) -> Any:
        data = super().read()
        if data is None:
            raise UploadExpired
        return data


class ElectionImportForm(ImportForm):
    """The upload step: the election to load into, the file and its format. The file is checked here, before any of
    its rows is imported, so that a wrong file gets one clear message."""

    election = forms.ModelChoiceField(
        queryset=Election.objects.order_by("-date", "name"),
        label=gettext_lazy("Election"),
        help_text=gettext_lazy(
            "Rows load into this election; the codes in the file refer to its districts, contests and parties."
        ),
    )
    field_order = ["resource", "election", "import_file", "format"]

    def __init__(self, formats: list[type[Format]], resources: list[type[Any]], **kwargs: Any) -> None:
        super().__init__(formats, resources, **kwargs)
        self.format_classes = list(formats)
        self.resource_classes = list(resources)
        self.fields["import_file"].help_text = _(
            "A CSV file (UTF-8, with or without BOM) or an XLSX workbook of at most %(size)s, with a header row."
        ) % {"size": filesizeformat(MAX_IMPORT_FILE_SIZE)}

    def clean_election(self) -> Election:
        return refuse_final_election(self.cleaned_data["election"])

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_IMPORT_FILE_SIZE:
            raise ValidationError(
                _(
                    "The file is larger than %(limit)s, the most that can be imported at once. "
                    "Split it into smaller files."
                )
                % {"limit": filesizeformat(MAX_IMPORT_FILE_SIZE)}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        upload = cleaned_data.get("import_file")
        chosen_format = cleaned_data.get("format")
        if upload is None or not chosen_format:
            return cleaned_data
        resource_class = self.resource_classes[int(cleaned_data.get("resource") or 0)]
        try:
            dataset = read_upload(b"".join(upload.chunks()), self.format_classes[int(chosen_format)])
            check_columns(dataset, getattr(resource_class, "required_columns", ()))
        except ValidationError as error:
            self.add_error("import_file", error)
        return cleaned_data


class ElectionConfirmImportForm(ConfirmImportForm):
    """The confirm step carries the chosen election on, and checks again that it may still change. Its hidden
    fields accept only what the upload step can have put there, so an altered page gets a message, not an error."""

    election = forms.ModelChoiceField(queryset=Election.objects.all(), widget=forms.HiddenInput())
    format = forms.ChoiceField(widget=forms.HiddenInput())
    resource = forms.ChoiceField(widget=forms.HiddenInput(), required=False)

    def __init__(self, *, formats: list[type[Format]], resources: list[type[Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields["format"].choices = [(str(index), str(index)) for index in range(len(formats))]
        self.fields["resource"].choices = [("", "")] + [(str(index), str(index)) for index in range(len(resources))]

    def clean_election(self) -> Election:
        return refuse_final_election(self.cleaned_data["election"])


class ElectionImportExportMixin(ImportExportMixin):
    """Import and export for the admin of a model that belongs to an election, in CSV and XLSX.

    Import needs the model's add permission, export its view permission (see ``IMPORT_EXPORT_*_PERMISSION_CODE``).
    Unlike the library's default, which refuses a whole file for one invalid row, the preview lists the invalid rows
    and still offers to load the valid ones.
    """

    formats = [CSV, XLSX]
    import_form_class = ElectionImportForm
    confirm_form_class = ElectionConfirmImportForm
    import_template_name = "admin/import_export/election_import.html"
    tmp_storage_class = SharedUploadStorage
    # Excel reads a CSV file's Arabic correctly only when the file starts with a byte-order mark.
    to_encoding = "utf-8-sig"

    def _admin_url(self, view: str) -> str:
        app_label, model_name = self.get_model_info()
        return reverse(f"admin:{app_label}_{model_name}_{view}", current_app=self.admin_site.name)

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("form")
        election = getattr(form, "cleaned_data", {}).get("election")
        return {
            **super().get_import_resource_kwargs(request, **kwargs),
            "election": election,
            "actor": request.user,
            "client_address": get_client_address(request),
        }

    def get_confirm_form_kwargs(self, request: HttpRequest, import_form: Any = None) -> dict[str, Any]:
        kwargs = super().get_confirm_form_kwargs(request, import_form)
        return {**kwargs, "formats": self.get_import_formats(), "resources": self.get_import_resource_classes(request)}

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["election"] = import_form.cleaned_data["election"].pk
        return initial

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        result = context.get("result") if context else None
        if context is None or result is None:
            return response
        context["rejected_rows"] = describe_rejected_rows(result)
        context["import_election"] = context["form"].cleaned_data.get("election")
        if "confirm_form" not in context and not result.has_errors() and result.valid_rows():
            # The library offers no confirm once any row is invalid; the valid rows may still be loaded.
            context["confirm_form"] = self.create_confirm_form(request, import_form=context["form"])
        return response

    @method_decorator(require_POST)
    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if confirm_form.is_valid():
            try:
                return super().process_import(request, **kwargs)
            except UploadExpired:
                problems = [_("The uploaded file is no longer available. Upload it again.")]
        else:
            problems = [str(message) for field_messages in confirm_form.errors.values() for message in field_messages]
        for problem in problems:
            messages.error(request, problem)
        return HttpResponseRedirect(self._admin_url("import"))

    def process_result(self, result: ElectionImportResult, request: HttpRequest) -> HttpResponse:
        if result.has_errors():
            # Only an error outside the rows gets here (the rows report their own); nothing was saved.
            messages.error(
                request,
                _("Nothing was imported: %(error)s") % {"error": "; ".join(str(e.error) for e in result.base_errors)},
            )
            return HttpResponseRedirect(self._admin_url("changelist"))
        return super().process_result(result, request)

    def add_success_message(self, result: ElectionImportResult, request: HttpRequest) -> None:
        new, updated, unchanged = (
            result.totals[kind]
            for kind in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP)
        )
        loaded = new + updated + unchanged
        messages.success(
            request,
            ngettext(
                "%(count)d row loaded into “%(election)s”: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.",
                "%(count)d rows loaded into “%(election)s”: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.",
                loaded,
            )
            % {"count": loaded, "election": result.election, "new": new, "updated": updated, "unchanged": unchanged},
        )
        rejected = describe_rejected_rows(result)
        if not rejected:
            return
        messages.warning(
            request,
            ngettext(
                "%(count)d row was rejected and not loaded:",
                "%(count)d rows were rejected and not loaded:",
                len(rejected),
            )
            % {"count": len(rejected)},
        )
        for line in rejected[:MAX_REJECTED_ROWS_IN_MESSAGES]:
            messages.error(request, line)
        if len(rejected) > MAX_REJECTED_ROWS_IN_MESSAGES:
            hidden = len(rejected) - MAX_REJECTED_ROWS_IN_MESSAGES
            messages.error(
                request, ngettext("… and %(count)d more row.", "… and %(count)d more rows.", hidden) % {"count": hidden}
            )
