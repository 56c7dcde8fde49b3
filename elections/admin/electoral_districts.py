"""The admin of electoral districts: the areas contests are voted in that follow no one district (congressional,
legislative, school districts…), each made of districts and polling stations, with import and export.

Elections have thousands of stations, so members are chosen by searching (autocomplete), and each electoral district
shows how many stations it covers, by the same rule entry and the tallies use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from elections.admin.widgets import NamedSearchFieldsMixin
from elections.admin.writes import FinalElectionReadOnlyMixin, ServiceWritesMixin, write
from elections.imports import ElectionImportExportMixin
from elections.models import Contest, ElectoralDistrict
from elections.resources import ElectoralDistrictResource
from elections.selectors import list_contest_station_ids

MEMBERS = ("districts", "stations")


def count_covered_stations(areas: list[ElectoralDistrict]) -> dict[int, int]:
    """How many polling stations vote in each of ``areas``: those a contest over it covers, by THE rule of
    ``list_contest_station_ids`` (unsaved contests stand for them, so no second rule exists)."""
    counts: dict[int, int] = {}
    for election_id in {area.election_id for area in areas}:
        standing_in = [
            Contest(pk=area.pk, election_id=election_id, electoral_district_id=area.pk)
            for area in areas
            if area.election_id == election_id
        ]
        covered = list_contest_station_ids(election_id=election_id, contests=standing_in)
        counts |= {area_id: len(station_ids) for area_id, station_ids in covered.items()}
    return counts


if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[ElectoralDistrict]
else:
    _ModelForm = forms.ModelForm


class ElectoralDistrictForm(_ModelForm):
    """An electoral district's form: districts and stations of another election are refused beside their field."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned_data = self.cleaned_data
        election = cleaned_data.get("election")
        for name in MEMBERS:
            strangers = sorted(
                str(member)
                for member in cleaned_data.get(name) or []
                if election is not None and member.election_id != election.pk
            )
            if strangers:
                self.add_error(
                    name,
                    _("These belong to another election: %(objects)s.") % {"objects": ", ".join(strangers[:5])}
                    + (" …" if len(strangers) > 5 else ""),
                )
        return cleaned_data


@admin.register(ElectoralDistrict)
class ElectoralDistrictAdmin(
    NamedSearchFieldsMixin, ServiceWritesMixin, ElectionImportExportMixin, FinalElectionReadOnlyMixin, admin.ModelAdmin
):
    resource_classes = [ElectoralDistrictResource]
    form = ElectoralDistrictForm
    ordering = ["election", "code"]
    list_display = ["code", "name", "name_ar", "station_count", "contest_count", "election"]
    list_filter = ["election"]
    search_fields = ["code", "name", "name_ar"]
    autocomplete_fields = ["districts", "stations"]
    fields = ["election", "code", "name", "name_ar", "districts", "stations", "covered_stations"]
    readonly_fields = ["covered_stations"]
    list_select_related = ["election"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ElectoralDistrict]:
        return super().get_queryset(request).annotate(num_contests=Count("contests"))

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        # One count per election shown, not one per row: the page's rows are the ones the list renders.
        areas = list(changelist.result_list)
        counts = count_covered_stations(areas)
        for area in areas:
            area.covered_station_count = counts.get(area.pk, 0)
        return changelist

    @admin.display(description=gettext_lazy("stations"))
    def station_count(self, obj: ElectoralDistrict) -> int:
        return getattr(obj, "covered_station_count", 0)

    @admin.display(description=gettext_lazy("contests"), ordering="num_contests")
    def contest_count(self, obj: ElectoralDistrict) -> str:
        url = reverse("admin:elections_contest_changelist") + f"?electoral_district__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.num_contests)  # type: ignore[attr-defined]

    @admin.display(description=gettext_lazy("polling stations voting here"))
    def covered_stations(self, obj: ElectoralDistrict) -> str:
        if not obj.pk:
            return "—"
        count = count_covered_stations([obj]).get(obj.pk, 0)
        return ngettext(
            "%(count)d polling station: those of its districts, at any depth, and its own.",
            "%(count)d polling stations: those of its districts, at any depth, and its own.",
            count,
        ) % {"count": count}

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool) -> None:
        members = {name: list(form.cleaned_data[name]) for name in MEMBERS if name in form.cleaned_data}
        write(request, "change" if change else "create", obj, **members)

    def save_related(self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool) -> None:
        # Instead of form.save_m2m(): the service wrote the members with the electoral district.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
