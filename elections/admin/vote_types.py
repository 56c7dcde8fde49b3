"""The admin of vote types (election day, early, mail…): inline on the election's page and on a page of their own
with import and export. A tally sheet's shape follows them, so they change only while their election is a draft;
the configuration services refuse it otherwise, and these pages show them read-only then."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from elections.admin.widgets import LabelledRowsMixin
from elections.admin.writes import FinalElectionReadOnlyMixin, ServiceWritesMixin
from elections.imports import ElectionImportExportMixin
from elections.models import Election, VoteType
from elections.resources import VoteTypeResource


def _left_draft(election: Election | None) -> bool:
    return election is not None and election.status != Election.Status.DRAFT


class VoteTypeInline(LabelledRowsMixin, FinalElectionReadOnlyMixin, admin.TabularInline):
    model = VoteType
    fields = ["position", "code", "name", "name_ar", "nist_type"]
    ordering = ["position", "code"]
    extra = 0

    # Here ``obj`` is the election the vote types belong to.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _left_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _left_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _left_draft(obj) and super().has_delete_permission(request, obj)


@admin.register(VoteType)
class VoteTypeAdmin(ServiceWritesMixin, ElectionImportExportMixin, FinalElectionReadOnlyMixin, admin.ModelAdmin):
    resource_classes = [VoteTypeResource]
    ordering = ["election", "position", "code"]
    list_display = ["code", "name", "name_ar", "nist_type", "position", "election"]
    list_filter = ["election", "nist_type"]
    search_fields = ["code", "name", "name_ar"]
    list_select_related = ["election"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and _left_draft(obj.election):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and _left_draft(obj.election):
            return False
        return super().has_delete_permission(request, obj)
