"""The admin of staff accounts: officials manage clerks and supervisors, their roles and their assignments from the
user page. Every write goes through the staff services; only a superuser touches a superuser's account."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from elections import services
from elections.admin.widgets import LabelledRowsMixin
from elections.admin.writes import ServiceWritesMixin
from elections.models import ClerkAssignment, SupervisorAssignment
from trust.errors import DomainError
from trust.http import get_client_address


class ClerkAssignmentInline(LabelledRowsMixin, admin.TabularInline):
    model = ClerkAssignment
    autocomplete_fields = ["user", "station"]
    extra = 0


class SupervisorAssignmentInline(LabelledRowsMixin, admin.TabularInline):
    model = SupervisorAssignment
    autocomplete_fields = ["user", "district"]
    extra = 0


def _save_roles(request: HttpRequest, user: User, cleaned_data: dict[str, Any]) -> None:
    """Give ``user`` the groups (and, for a superuser at work, the permissions) chosen in the form."""
    address = get_client_address(request)
    if "groups" in cleaned_data:
        wanted: set[Group] = set(cleaned_data["groups"])
        current = set(user.groups.all())
        for group in sorted(wanted - current, key=lambda group: group.name):
            services.add_user_to_group(user=user, group=group, actor=request.user, client_address=address)
        for group in sorted(current - wanted, key=lambda group: group.name):
            services.remove_user_from_group(user=user, group=group, actor=request.user, client_address=address)
    if "user_permissions" in cleaned_data:
        services.set_user_permissions(
            user=user, permissions=cleaned_data["user_permissions"], actor=request.user, client_address=address
        )


# Staff accounts replace Django's own user admin.
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(ServiceWritesMixin, UserAdmin):
    inlines = [ClerkAssignmentInline, SupervisorAssignmentInline]
    list_display = ["username", "first_name", "last_name", "role_names", "is_active", "last_login"]
    list_filter = ["groups", "is_active", "is_staff"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=gettext_lazy("roles"))
    def role_names(self, obj: User) -> str:
        return ", ".join(group.name for group in obj.groups.all()) or "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The sign-in dates are kept by Django itself; the staff services do not write them.
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]
        if not request.user.is_superuser:
            # Only a superuser may hand out superuser status or individual permissions.
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An official who could change a superuser's account or password could take it over.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool) -> None:
        # Instead of form.save_m2m(): groups and permissions go through the services too.
        _save_roles(request, form.instance, form.cleaned_data)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Django's password page, with a valid submission saved by ``set_staff_password``; Django's view answers
        everything else (the page itself, a refused permission, a form with errors)."""
        user = self.get_object(request, unquote(id))
        if request.method != "POST" or user is None or not self.has_change_permission(request, user):
            return super().user_change_password(request, id, form_url)
        form = self.change_password_form(user, request.POST)
        if not form.is_valid():
            return super().user_change_password(request, id, form_url)
        usable = form.cleaned_data["set_usable_password"]
        if not usable and "unset-password" not in request.POST:
            return super().user_change_password(request, id, form_url)
        try:
            user = services.set_staff_password(
                user=user,
                password=form.cleaned_data["password1"] if usable else None,
                actor=request.user,
                client_address=get_client_address(request),
            )
        except DomainError as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        self.log_change(request, user, self.construct_change_message(request, form, []))
        if user.has_usable_password():
            self.message_user(request, _("Password changed successfully."), messages.SUCCESS)
        else:
            self.message_user(request, _("Password-based authentication was disabled."), messages.SUCCESS)
        update_session_auth_hash(request, user)
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:auth_user_change", args=[user.pk]))
