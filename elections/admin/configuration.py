"""The admin of elections and what they are made of: districts, polling stations and parties (contests and
candidates: ``contests``; electoral districts and vote types: their own modules).

Every write goes through the configuration services (``ServiceWritesMixin``); the status actions call the status
services.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from elections import services
from elections.admin.boundaries import BoundaryImportMixin
from elections.admin.contests import ContestInline
from elections.admin.staff import ClerkAssignmentInline, SupervisorAssignmentInline
from elections.admin.status import status_action
from elections.admin.vote_types import VoteTypeInline
from elections.admin.widgets import NamedSearchFieldsMixin
from elections.admin.writes import FinalElectionReadOnlyMixin, ServiceWritesMixin
from elections.imports import ElectionImportExportMixin
from elections.models import District, Election, Party, PollingStation
from elections.resources import DistrictResource, PartyResource, PollingStationResource
from elections.services.configuration import FROZEN_AFTER_DRAFT
from trust.models import AuditEvent

# What each audited change of an election reads as on its page; an action not named here shows its code.
HISTORY_LABELS = {
    "election.create": gettext_lazy("Created"),
    "election.change": gettext_lazy("Settings changed"),
    "election.open": gettext_lazy("Opened for entry"),
    "election.close": gettext_lazy("Closed"),
    "election.publish": gettext_lazy("Published as provisional"),
    "election.certify": gettext_lazy("Certified"),
    "election.seed_demo": gettext_lazy("Demo data loaded"),
    "election.structure_from_results_file": gettext_lazy("Structure loaded from a results file"),
}


@admin.register(Election)
class ElectionAdmin(ServiceWritesMixin, FinalElectionReadOnlyMixin, admin.ModelAdmin):
    # Few columns, each holding related facts, so the list fits a laptop screen without scrolling sideways.
    list_display = ["name", "date", "status_badges", "counting", "contents"]
    list_filter = ["status", "results_visibility", "counting_method", "double_entry", "date"]
    search_fields = ["name", "name_ar", "slug"]
    date_hierarchy = "date"
    ordering = ["-date", "name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["status", "results_visibility", "status_changed_at", "status_changed_by", "history"]
    fieldsets = [
        (None, {"fields": ["name", "name_ar", "slug", "date", "time_zone"]}),
        (
            gettext_lazy("Counting"),
            {
                "fields": [
                    "counting_method",
                    "counts_blank_and_invalid",
                    "counts_undervotes_and_overvotes",
                    "double_entry",
                ]
            },
        ),
        (
            gettext_lazy("Status (changed with the actions on the election list)"),
            {"fields": ["status", "results_visibility", "status_changed_at", "status_changed_by", "history"]},
        ),
    ]
    inlines = [VoteTypeInline, ContestInline]
    actions = [
        status_action(
            services.open_election,
            check=services.check_opening,
            name="open_elections",
            label=gettext_lazy("Open for entry"),
            verb=gettext_lazy("Opened for entry"),
            explanation=gettext_lazy("Clerks will be able to enter ballots, tally sheets and turnout."),
        ),
        status_action(
            services.close_election,
            check=services.check_closing,
            name="close_elections",
            label=gettext_lazy("Close entry"),
            verb=gettext_lazy("Closed"),
            explanation=gettext_lazy("No more entries will be accepted; only audited corrections change results."),
        ),
        status_action(
            services.publish_results,
            check=services.check_publishing,
            name="publish_results",
            label=gettext_lazy("Publish results as provisional"),
            verb=gettext_lazy("Published as provisional"),
            explanation=gettext_lazy("Anyone will be able to read the results, marked provisional."),
        ),
        status_action(
            services.certify_election,
            check=services.check_certifying,
            name="certify_elections",
            label=gettext_lazy("Certify results as official"),
            verb=gettext_lazy("Certified"),
            explanation=gettext_lazy("The results become official and the election can never be changed again."),
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Election | None = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Election.Status.DRAFT:
            # How sheets count is fixed once the election leaves draft (the service refuses it, and the database the
            # counting method).
            readonly += FROZEN_AFTER_DRAFT
        return readonly

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "time_zone":
            # A list to choose from, so a typo cannot become an unknown zone.
            return forms.TypedChoiceField(
                label=capfirst(db_field.verbose_name),
                choices=[(zone, zone) for zone in sorted(zoneinfo.available_timezones())],
                initial="UTC",
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Election]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                num_districts=Count("districts", distinct=True),
                num_stations=Count("stations", distinct=True),
                num_contests=Count("contests", distinct=True),
            )
        )

    @admin.display(description=gettext_lazy("status and results"), ordering="status")
    def status_badges(self, obj: Election) -> str:
        return format_html(
            '<span class="vt-badges"><span class="vt-badge vt-badge--{}">{}</span>'
            '<span class="vt-badge vt-badge--{}">{}</span></span>',
            obj.status,
            obj.get_status_display(),
            obj.results_visibility,
            _("results %(visibility)s") % {"visibility": obj.get_results_visibility_display().lower()},
        )

    @admin.display(description=gettext_lazy("counting"), ordering="counting_method")
    def counting(self, obj: Election) -> str:
        if obj.double_entry:
            return format_html("{}<br>{}", obj.get_counting_method_display(), _("double data entry"))
        return obj.get_counting_method_display()

    @admin.display(description=gettext_lazy("contents"), ordering="num_stations")
    def contents(self, obj: Election) -> str:
        counts = {"districts": obj.num_districts, "stations": obj.num_stations, "contests": obj.num_contests}  # type: ignore[attr-defined]
        stations = reverse("admin:elections_pollingstation_changelist") + f"?election__id__exact={obj.pk}"
        contests = reverse("admin:elections_contest_changelist") + f"?election__id__exact={obj.pk}"
        districts = reverse("admin:elections_district_changelist") + f"?election__id__exact={obj.pk}"
        return format_html(
            '<span class="vt-counts"><a href="{}">{}</a><a href="{}">{}</a><a href="{}">{}</a></span>',
            districts,
            ngettext("%(count)d district", "%(count)d districts", counts["districts"]) % {"count": counts["districts"]},
            stations,
            ngettext("%(count)d polling station", "%(count)d polling stations", counts["stations"])
            % {"count": counts["stations"]},
            contests,
            ngettext("%(count)d contest", "%(count)d contests", counts["contests"]) % {"count": counts["contests"]},
        )

    @admin.display(description=gettext_lazy("status history"))
    def history(self, obj: Election) -> str:
        if not obj.pk:
            return "—"
        events = AuditEvent.objects.filter(object_type="elections.election", object_id=str(obj.pk)).order_by("-id")[:20]
        if not events:
            return _("No status change yet.")
        return format_html(
            '<ul class="vt-history">{}</ul>',
            format_html_join(
                "",
                "<li><bdi>{}</bdi> — {} — <bdi>{}</bdi></li>",
                (
                    (
                        event.at.strftime("%Y-%m-%d %H:%M UTC"),
                        HISTORY_LABELS.get(event.action, event.action),
                        event.actor_name or _("VoteTracker itself"),
                    )
                    for event in events
                ),
            ),
        )


@admin.register(District)
class DistrictAdmin(
    BoundaryImportMixin,
    NamedSearchFieldsMixin,
    ServiceWritesMixin,
    ElectionImportExportMixin,
    FinalElectionReadOnlyMixin,
    admin.ModelAdmin,
):
    resource_classes = [DistrictResource]
    ordering = ["election", "code"]
    list_display = ["code", "name", "name_ar", "parent", "election", "station_count", "has_boundary"]
    list_filter = ["election"]
    search_fields = ["code", "name", "name_ar"]
    autocomplete_fields = ["parent"]
    list_select_related = ["election", "parent"]

    inlines = [SupervisorAssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[District]:
        # The boundary's size, not its coordinates: the list only says whether there is one.
        return (
            super()
            .get_queryset(request)
            .annotate(num_stations=Count("stations"), boundary_size=Max("boundary__positions"))
        )

    @admin.display(description=gettext_lazy("stations"), ordering="num_stations")
    def station_count(self, obj: District) -> str:
        url = reverse("admin:elections_pollingstation_changelist") + f"?district__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.num_stations)  # type: ignore[attr-defined]

    @admin.display(description=gettext_lazy("boundary"), boolean=True)
    def has_boundary(self, obj: District) -> bool:
        return obj.boundary_size is not None  # type: ignore[attr-defined]


@admin.register(PollingStation)
class PollingStationAdmin(
    NamedSearchFieldsMixin,
    ServiceWritesMixin,
    ElectionImportExportMixin,
    FinalElectionReadOnlyMixin,
    admin.ModelAdmin,
):
    resource_classes = [PollingStationResource]
    ordering = ["election", "code"]
    list_display = ["code", "name", "district", "registered_voters", "has_coordinates", "clerk_count", "election"]
    list_filter = ["election", "district"]
    search_fields = ["code", "name", "name_ar", "district__name", "district__code"]
    autocomplete_fields = ["district"]
    list_select_related = ["election", "district"]
    inlines = [ClerkAssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PollingStation]:
        return super().get_queryset(request).annotate(num_clerks=Count("clerk_assignments"))

    @admin.display(description=gettext_lazy("map"), boolean=True)
    def has_coordinates(self, obj: PollingStation) -> bool:
        return obj.latitude is not None

    @admin.display(description=gettext_lazy("clerks"), ordering="num_clerks")
    def clerk_count(self, obj: PollingStation) -> int:
        return obj.num_clerks  # type: ignore[attr-defined]


@admin.register(Party)
class PartyAdmin(ServiceWritesMixin, ElectionImportExportMixin, FinalElectionReadOnlyMixin, admin.ModelAdmin):
    resource_classes = [PartyResource]
    ordering = ["election", "name"]
    list_display = ["name", "name_ar", "abbreviation", "colour_swatch", "candidate_count", "election"]
    list_filter = ["election"]
    search_fields = ["name", "name_ar", "abbreviation"]
    list_select_related = ["election"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Party]:
        return super().get_queryset(request).annotate(num_candidates=Count("candidates"))

    @admin.display(description=gettext_lazy("colour"), ordering="colour")
    def colour_swatch(self, obj: Party) -> str:
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;background:{};border:1px solid #333;'
            'vertical-align:middle" aria-hidden="true"></span> {}',
            obj.colour,
            obj.colour,
        )

    @admin.display(description=gettext_lazy("candidates"), ordering="num_candidates")
    def candidate_count(self, obj: Party) -> int:
        return obj.num_candidates  # type: ignore[attr-defined]
