"""The admin actions that change an election's status. Each checks every chosen election first, by the rule its
status service applies, and asks for confirmation only for those that can change: an election that cannot is named
with the reason on the list, never after the official confirmed an irreversible step. Once confirmed, each calls its
status service (which checks again under its lock) and says which it refused and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from elections.models import Election
from trust.errors import DomainError
from trust.http import get_client_address

Service = Callable[..., Election]
Check = Callable[[Election], None]

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
else:
    StrOrPromise = str


def _apply(
    modeladmin: admin.ModelAdmin[Election],
    request: HttpRequest,
    queryset: QuerySet[Election],
    service: Service,
    verb: StrOrPromise,
) -> None:
    changed = 0
    for election in queryset:
        try:
            service(election=election, actor=request.user, client_address=get_client_address(request))
        except DomainError as refusal:
            modeladmin.message_user(request, refusal.message, messages.ERROR)
        else:
            changed += 1
    if changed:
        modeladmin.message_user(
            request,
            _("%(verb)s: %(count)d election(s).") % {"verb": verb, "count": changed},
            messages.SUCCESS,
        )


def status_action(
    service: Service,
    *,
    check: Check,
    name: str,
    label: StrOrPromise,
    verb: StrOrPromise,
    explanation: StrOrPromise,
) -> Callable[[admin.ModelAdmin[Election], HttpRequest, QuerySet[Election]], TemplateResponse | None]:
    """An admin action that refuses at once, naming why, every chosen election ``check`` refuses; asks for
    confirmation for the others, if any; then calls ``service`` for each of them."""

    def action(
        modeladmin: admin.ModelAdmin[Election], request: HttpRequest, queryset: QuerySet[Election]
    ) -> TemplateResponse | None:
        if request.POST.get("confirmed") == "yes":
            _apply(modeladmin, request, queryset, service, verb)
            return None
        ready: list[Election] = []
        for election in queryset:
            try:
                check(election)
            except DomainError as refusal:
                modeladmin.message_user(request, refusal.message, messages.ERROR)
            else:
                ready.append(election)
        if not ready:
            # Back to the list, where the messages say why nothing can change.
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": label,
            "subtitle": None,
            "opts": modeladmin.model._meta,
            "elections": ready,
            "left_out": len(queryset) - len(ready),
            "action_name": name,
            "action_label": label,
            "explanation": explanation,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/elections/confirm_status_change.html", context)

    action.__name__ = name
    return admin.action(description=label, permissions=["change"])(action)
