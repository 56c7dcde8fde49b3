"""The admin actions that change an election's status: each asks for confirmation, then calls its status service
for every chosen election and says which it refused and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from elections import services
from elections.models import Election
from trust.errors import DomainError
from trust.http import get_client_address

Service = Callable[..., Election]

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
else:
    StrOrPromise = str


def status_action(
    service: Service, *, name: str, label: StrOrPromise, verb: StrOrPromise, explanation: StrOrPromise
) -> Callable[[admin.ModelAdmin[Election], HttpRequest, QuerySet[Election]], TemplateResponse | None]:
    """An admin action that asks for confirmation, then calls ``service`` for each chosen election."""

    def action(
        modeladmin: admin.ModelAdmin[Election], request: HttpRequest, queryset: QuerySet[Election]
    ) -> TemplateResponse | None:
        if request.POST.get("confirmed") == "yes":
            changed = 0
            for election in queryset:
                try:
                    service(election=election, actor=request.user, client_address=get_client_address(request))
                except DomainError as exc:
                    modeladmin.message_user(request, exc.message, messages.ERROR)
                else:
                    changed += 1
            if changed:
                modeladmin.message_user(
                    request, _("%(verb)s: %(count)d election(s).") % {"verb": verb, "count": changed}, messages.SUCCESS
                )
            return None
        problems = {
            election.pk: services.list_opening_problems(election) for election in queryset if name == "open_elections"
        }
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": label,
            "opts": modeladmin.model._meta,
            "elections": [(election, problems.get(election.pk, [])) for election in queryset],
            "action_name": name,
            "action_label": label,
            "explanation": explanation,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/elections/confirm_status_change.html", context)

    action.__name__ = name
    return admin.action(description=label, permissions=["change"])(action)
