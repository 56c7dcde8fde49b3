"""The admin of contests and their candidates (a ballot measure's choices are its candidates), with their import and
export. Every write goes through the configuration services (``ServiceWritesMixin``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.admin.widgets import LabelledRowsMixin, NamedSearchFieldsMixin
from elections.admin.writes import FinalElectionReadOnlyMixin, ServiceWritesMixin
from elections.imports import ElectionImportExportMixin
from elections.models import Candidate, Contest
from elections.resources import CandidateResource, ContestResource

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Contest]
else:
    _ModelForm = forms.ModelForm


class ContestForm(_ModelForm):
    """A contest's form: a district and an electoral district chosen together are refused beside the field."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned_data = self.cleaned_data
        if cleaned_data.get("district") and cleaned_data.get("electoral_district"):
            self.add_error("electoral_district", _("Choose a district or an electoral district, not both."))
            # Left out of the contest too, so the model's own check does not say the same again above the form.
            cleaned_data.pop("district", None)
        return cleaned_data


class ContestInline(LabelledRowsMixin, admin.TabularInline):
    model = Contest
    form = ContestForm
    fields = [
        "name",
        "slug",
        "district",
        "electoral_district",
        "seats",
        "max_choices",
        "position",
        "candidate_link",
    ]
    readonly_fields = ["candidate_link"]
    autocomplete_fields = ["district", "electoral_district"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0
    show_change_link = True

    @admin.display(description=gettext_lazy("candidates"))
    def candidate_link(self, obj: Contest) -> str:
        if not obj.pk:
            return "—"
        url = reverse("admin:elections_contest_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("%(count)d candidates") % {"count": obj.candidates.count()})


class CandidateInline(LabelledRowsMixin, FinalElectionReadOnlyMixin, admin.TabularInline):
    model = Candidate
    fields = ["ballot_order", "name_en", "name_ar", "party", "is_write_in"]
    autocomplete_fields = ["party"]
    ordering = ["ballot_order"]
    extra = 1

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Here ``obj`` is the contest the candidates belong to.
        if obj is not None and obj.election.is_final:
            return False
        return super().has_add_permission(request, obj)


@admin.register(Contest)
class ContestAdmin(
    NamedSearchFieldsMixin,
    ServiceWritesMixin,
    ElectionImportExportMixin,
    FinalElectionReadOnlyMixin,
    admin.ModelAdmin,
):
    resource_classes = [ContestResource]
    form = ContestForm
    ordering = ["election", "position", "name"]
    list_display = ["name", "kind", "election", "scope", "seats", "max_choices", "candidate_count", "position"]
    list_filter = ["election", "kind"]
    search_fields = ["name", "name_ar", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["district", "electoral_district"]
    list_select_related = ["election", "district", "electoral_district"]
    fieldsets = [
        (None, {"fields": ["election", "name", "name_ar", "slug", "kind", "position"]}),
        (
            gettext_lazy("Where it is voted on (neither: the whole election)"),
            {"fields": ["district", "electoral_district"]},
        ),
        (gettext_lazy("Counting"), {"fields": ["seats", "max_choices", "threshold"]}),
    ]
    inlines = [CandidateInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contest]:
        return super().get_queryset(request).annotate(num_candidates=Count("candidates"))

    @admin.display(description=gettext_lazy("scope"), ordering="district__code")
    def scope(self, obj: Contest) -> str:
        return obj.scope_label

    @admin.display(description=gettext_lazy("candidates"), ordering="num_candidates")
    def candidate_count(self, obj: Contest) -> int:
        return obj.num_candidates  # type: ignore[attr-defined]


@admin.register(Candidate)
class CandidateAdmin(
    NamedSearchFieldsMixin,
    ServiceWritesMixin,
    ElectionImportExportMixin,
    FinalElectionReadOnlyMixin,
    admin.ModelAdmin,
):
    resource_classes = [CandidateResource]
    list_display = ["name_en", "name_ar", "contest", "party", "ballot_order", "is_write_in"]
    list_filter = ["contest__election", "contest", "party", "is_write_in"]
    search_fields = ["name_en", "name_ar", "party__name", "party__abbreviation"]
    autocomplete_fields = ["contest", "party"]
    list_select_related = ["contest", "contest__election", "party"]
    ordering = ["contest", "ballot_order"]
