"""The admin's boundary import, from the district list: upload a GeoJSON file, see what it would do (every bad
feature named, nothing written), then confirm. The file is kept in the shared cache between the two steps, as the
spreadsheet imports keep theirs, so the confirm may reach another app node."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from elections.boundary_files import max_boundary_file_size, read_boundary_file
from elections.boundary_plans import BoundaryPlan, plan_boundary_import
from elections.imports import refuse_final_election
from elections.models import Election
from elections.services.boundaries import BoundariesRefused, import_boundaries
from trust.errors import DomainError
from trust.http import get_client_address

TEMPLATE = "admin/elections/boundary_import.html"
# How long an uploaded file waits for its confirmation.
KEPT_FOR = 3600
# The preview names every problem; the page lists this many, then counts the rest.
SHOWN_PROBLEMS = 200


def _kept_key(sha256: str) -> str:
    return f"elections:boundary-upload:{sha256}"


class BoundaryImportForm(forms.Form):
    """The upload step: the election, the file and where its codes are."""

    election = forms.ModelChoiceField(
        queryset=Election.objects.order_by("-date", "name"),
        label=gettext_lazy("Election"),
        help_text=gettext_lazy("The features name this election's districts and polling stations by code."),
    )
    boundary_file = forms.FileField(label=gettext_lazy("GeoJSON file"))
    code_property = forms.CharField(
        label=gettext_lazy("Property holding the codes"),
        required=False,
        max_length=64,
        help_text=gettext_lazy(
            "Leave empty to read the codes from a property named code, district_code, station_code, ref or id "
            "(in any case), or from the feature's id."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["boundary_file"].help_text = _(
            "A GeoJSON FeatureCollection in WGS84 longitude and latitude, of at most %(size)s: Polygon or "
            "MultiPolygon features for districts, Point features for polling stations."
        ) % {"size": filesizeformat(max_boundary_file_size())}

    def clean_election(self) -> Election:
        return refuse_final_election(self.cleaned_data["election"])

    def clean_boundary_file(self) -> Any:
        upload = self.cleaned_data["boundary_file"]
        limit = max_boundary_file_size()
        if upload.size > limit:
            raise ValidationError(
                _("The file is larger than %(limit)s, the most a boundary file may be. Simplify the boundaries first.")
                % {"limit": filesizeformat(limit)}
            )
        return upload


class ConfirmBoundaryImportForm(forms.Form):
    """The confirm step: which kept file, into which election. An altered page gets a message, not an error."""

    election = forms.ModelChoiceField(queryset=Election.objects.all(), widget=forms.HiddenInput())
    sha256 = forms.CharField(widget=forms.HiddenInput(), validators=[RegexValidator(r"^[0-9a-f]{64}$")])
    code_property = forms.CharField(widget=forms.HiddenInput(), required=False, max_length=64)
    file_name = forms.CharField(widget=forms.HiddenInput(), required=False, max_length=255)

    def clean_election(self) -> Election:
        return refuse_final_election(self.cleaned_data["election"])


def describe_plan(plan: BoundaryPlan) -> str:
    """What an import did or would do, in one sentence (leaving out boundaries or stations when the file has none)."""
    counts = plan.counts
    boundaries = ngettext(
        "%(count)d district boundary: %(new)d new, %(changed)d changed, %(unchanged)d unchanged",
        "%(count)d district boundaries: %(new)d new, %(changed)d changed, %(unchanged)d unchanged",
        counts["new"] + counts["changed"] + counts["unchanged"],
    ) % {
        "count": counts["new"] + counts["changed"] + counts["unchanged"],
        "new": counts["new"],
        "changed": counts["changed"],
        "unchanged": counts["unchanged"],
    }
    stations = ngettext(
        "%(count)d polling station position: %(moved)d set or moved, %(unmoved)d unchanged",
        "%(count)d polling station positions: %(moved)d set or moved, %(unmoved)d unchanged",
        counts["stations_moved"] + counts["stations_unchanged"],
    ) % {
        "count": counts["stations_moved"] + counts["stations_unchanged"],
        "moved": counts["stations_moved"],
        "unmoved": counts["stations_unchanged"],
    }
    if not counts["stations_moved"] + counts["stations_unchanged"]:
        return _("%(boundaries)s.") % {"boundaries": boundaries}
    if not counts["new"] + counts["changed"] + counts["unchanged"]:
        return _("%(stations)s.") % {"stations": stations}
    return _("%(boundaries)s; %(stations)s.") % {"boundaries": boundaries, "stations": stations}


if TYPE_CHECKING:
    from django.contrib import admin

    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class BoundaryImportMixin(_ModelAdmin):
    """For the district admin: the “Import boundaries” page beside the list's import and export."""

    change_list_template = "admin/elections/district/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import-boundaries/",
                self.admin_site.admin_view(self.boundary_import_view),
                name="elections_district_import_boundaries",
            )
        ]
        return own + super().get_urls()

    def _page(self, request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
        problems: list[str] = context.get("problems", [])
        context.update(
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Import district boundaries"),
                "problems": problems[:SHOWN_PROBLEMS],
                "more_problems": max(0, len(problems) - SHOWN_PROBLEMS),
            }
        )
        return TemplateResponse(request, TEMPLATE, context, status=status)

    def boundary_import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a boundary file and see what it would do; confirm to load it."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "sha256" in request.POST:
            return self._confirm(request)
        form = BoundaryImportForm(request.POST or None, request.FILES or None)
        if request.method != "POST" or not form.is_valid():
            return self._page(request, {"form": form}, status=422 if form.errors else 200)
        upload = form.cleaned_data["boundary_file"]
        data = b"".join(upload.chunks())
        election, code_property = form.cleaned_data["election"], form.cleaned_data["code_property"].strip()
        plan = plan_boundary_import(
            election=election, boundary_file=read_boundary_file(data, code_property=code_property)
        )
        context: dict[str, Any] = {
            "form": form,
            "plan": plan,
            "summary": describe_plan(plan),
            "problems": plan.problems,
        }
        if not plan.problems and plan.changes_something:
            cache.set(_kept_key(plan.sha256), data, KEPT_FOR)
            context["confirm_form"] = ConfirmBoundaryImportForm(
                initial={
                    "election": election.pk,
                    "sha256": plan.sha256,
                    "code_property": code_property,
                    "file_name": str(upload.name or "")[:255],
                }
            )
        context["nothing_to_do"] = not plan.problems and not plan.changes_something
        return self._page(request, context, status=422 if plan.problems else 200)

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        back = HttpResponseRedirect(reverse("admin:elections_district_import_boundaries"))
        form = ConfirmBoundaryImportForm(request.POST)
        if not form.is_valid():
            for field_messages in form.errors.values():
                for message in field_messages:
                    messages.error(request, str(message))
            return back
        sha256 = form.cleaned_data["sha256"]
        data = cache.get(_kept_key(sha256))
        if not isinstance(data, bytes):
            messages.error(request, _("The uploaded file is no longer available. Upload it again."))
            return back
        election = form.cleaned_data["election"]
        try:
            plan = import_boundaries(
                election=election,
                data=data,
                actor=request.user,
                code_property=form.cleaned_data["code_property"],
                client_address=get_client_address(request),
                file_name=form.cleaned_data["file_name"],
            )
        except BoundariesRefused as refused:
            return self._page(
                request, {"form": BoundaryImportForm(), "problems": refused.details["problems"]}, status=422
            )
        except DomainError as refused:
            messages.error(request, refused.message)
            return back
        cache.delete(_kept_key(sha256))
        if plan.changes_something:
            messages.success(
                request,
                _("Boundaries loaded into “%(election)s”: %(summary)s")
                % {"election": election, "summary": describe_plan(plan)},
            )
        else:
            messages.info(
                request, _("Nothing changed: “%(election)s” already has these boundaries.") % {"election": election}
            )
        return HttpResponseRedirect(
            reverse("admin:elections_district_changelist") + f"?election__id__exact={election.pk}"
        )
