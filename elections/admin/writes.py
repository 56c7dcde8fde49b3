"""How the admin writes: every save, inline row, delete and bulk delete goes through the configuration services, so
an official's edit is checked, audited and reaches the public pages like any other write. A service's refusal
becomes an error message on the page, never a server error. The pages of a certified election's parts are read-only
before any service is asked (``FinalElectionReadOnlyMixin``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from elections import services
from elections.models import (
    Candidate,
    ClerkAssignment,
    Contest,
    District,
    Election,
    ElectoralDistrict,
    Party,
    PollingStation,
    SupervisorAssignment,
    VoteType,
)
from trust.errors import DomainError
from trust.http import get_client_address


def _election_of(obj: Any) -> Election | None:
    if isinstance(obj, Election):
        return obj
    if isinstance(obj, Candidate):
        return obj.contest.election
    return getattr(obj, "election", None)


class FinalElectionReadOnlyMixin:
    """Nothing that belongs to a certified election can be changed or deleted: certified is final.

    Also types Arabic names right to left, wherever they are edited.
    """

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is not None and db_field.name.endswith("_ar"):
            formfield.widget.attrs.update({"dir": "rtl", "lang": "ar"})
        return formfield

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        election = _election_of(obj) if obj is not None else None
        if election is not None and election.is_final:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        election = _election_of(obj) if obj is not None else None
        if election is not None and election.is_final:
            return False
        return super().has_delete_permission(request, obj)  # type: ignore[misc]


@dataclass(frozen=True)
class Writes:
    """The three configuration services of one model, and the name under which they take the object."""

    create: Callable[..., Any]
    change: Callable[..., Any]
    delete: Callable[..., Any]
    argument: str


WRITES: dict[type[models.Model], Writes] = {
    Election: Writes(services.create_election, services.change_election, services.delete_election, "election"),
    VoteType: Writes(services.create_vote_type, services.change_vote_type, services.delete_vote_type, "vote_type"),
    District: Writes(services.create_district, services.change_district, services.delete_district, "district"),
    ElectoralDistrict: Writes(
        services.create_electoral_district,
        services.change_electoral_district,
        services.delete_electoral_district,
        "electoral_district",
    ),
    PollingStation: Writes(services.create_station, services.change_station, services.delete_station, "station"),
    Party: Writes(services.create_party, services.change_party, services.delete_party, "party"),
    Contest: Writes(services.create_contest, services.change_contest, services.delete_contest, "contest"),
    Candidate: Writes(services.create_candidate, services.change_candidate, services.delete_candidate, "candidate"),
    ClerkAssignment: Writes(
        services.create_clerk_assignment,
        services.change_clerk_assignment,
        services.delete_clerk_assignment,
        "assignment",
    ),
    SupervisorAssignment: Writes(
        services.create_supervisor_assignment,
        services.change_supervisor_assignment,
        services.delete_supervisor_assignment,
        "assignment",
    ),
    User: Writes(services.create_staff_user, services.change_staff_user, services.delete_staff_user, "user"),
}


def write(
    request: HttpRequest,
    verb: Literal["create", "change", "delete"],
    obj: models.Model,
    **members: Iterable[models.Model],
) -> None:
    """Create, change or delete ``obj`` through its model's service, as the official making the request; ``members``
    are the objects of its many-to-many fields, for a service that writes them with it."""
    writes = WRITES[type(obj)]
    service = getattr(writes, verb)
    service(**{writes.argument: obj}, **members, actor=request.user, client_address=get_client_address(request))


def save_formset_through_services(request: HttpRequest, formset: BaseModelFormSet[Any, Any]) -> None:
    """Save an inline formset row by row through the services: deleted rows first (a new row may take the place of
    a deleted one), then new rows, then changed ones."""
    formset.save(commit=False)
    for obj in formset.deleted_objects:
        write(request, "delete", obj)
    for obj in formset.new_objects:
        write(request, "create", obj)
    for obj, _changed_fields in formset.changed_objects:
        write(request, "change", obj)


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class ServiceWritesMixin(_ModelAdmin):
    """For a ModelAdmin: its own object, its inlines and its delete action are written through the services."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool) -> None:
        write(request, "change" if change else "create", obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        write(request, "delete", obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # All or nothing: one refused object keeps the others too.
        with transaction.atomic():
            for obj in queryset:
                write(request, "delete", obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        save_formset_through_services(request, formset)

    def _refusal_as_message(self, request: HttpRequest, view: Callable[[], HttpResponse]) -> HttpResponse:
        try:
            return view()
        except DomainError as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # Django runs a POST here in one transaction: a refusal undoes the object and every inline row with it.
        parent = super().changeform_view
        return self._refusal_as_message(request, lambda: parent(request, object_id, form_url, extra_context))

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        parent = super().delete_view
        return self._refusal_as_message(request, lambda: parent(request, object_id, extra_context))

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        parent = super().changelist_view
        if request.method != "POST":
            return parent(request, extra_context)

        def run_in_one_transaction() -> HttpResponse:
            # An action (a bulk delete with its admin log entries) is undone as a whole when a service refuses.
            with transaction.atomic():
                return parent(request, extra_context)

        return self._refusal_as_message(request, run_in_one_transaction)
