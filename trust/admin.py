"""The audit log (read-only) and API tokens in the Django admin: an official issues a token (for themselves its secret
is shown once, in the page that answers the form, never in a cookie or the session; for anyone else it waits for its
holder to activate it, see ``trust.tokens``), lists and revokes them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trust.http import get_client_address
from trust.models import ApiToken, AuditEvent
from trust.tokens import issue_api_token, may_issue_active_token, offer_api_token, revoke_api_tokens

# Where save_model leaves a new token's secret for response_add, on the request that issued it and nowhere else.
SHOWN_ONCE_ATTRIBUTE = "votetracker_new_api_token"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "issued_by", "created_at", "activated_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), ("activated_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username"]
    autocomplete_fields = ["user"]
    actions = ["revoke_selected"]
    readonly_fields = ["prefix", "issued_by", "created_at", "activated_at", "last_used_at", "revoked_at"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:  # type: ignore[override]
        if obj is None:
            return ["user", "name"]
        return ["user", "name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        # Once issued, a token only changes by being revoked, so that the log's record of it stays true.
        if obj is None:
            return []
        return ["user", "name", *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # A token is revoked, never deleted: its use stays traceable.
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: ModelForm, change: bool) -> None:
        if change:
            return
        issuer: User = request.user  # type: ignore[assignment]
        secret: str | None = None
        if may_issue_active_token(issuer=issuer, user=obj.user):
            token, secret = issue_api_token(
                user=obj.user, name=obj.name, issued_by=issuer, client_address=get_client_address(request)
            )
        else:
            token = offer_api_token(
                user=obj.user, name=obj.name, issued_by=issuer, client_address=get_client_address(request)
            )
        obj.pk = token.pk
        obj.prefix, obj.secret_hash, obj.created_at = token.prefix, token.secret_hash, token.created_at
        obj.issued_by, obj.activated_at = token.issued_by, token.activated_at
        # None for a token issued for someone else: it waits for its holder, who alone is shown its secret.
        setattr(request, SHOWN_ONCE_ATTRIBUTE, secret)

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None) -> HttpResponse:
        """The page answering the form shows the secret, once, or for a pending token where its holder activates it.
        A message would carry the secret in the messages cookie (signed, not encrypted), so there is none; nothing
        may keep the page either."""
        secret = getattr(request, SHOWN_ONCE_ATTRIBUTE)
        response = TemplateResponse(
            request,
            "admin/trust/apitoken/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Copy the new API token") if secret else _("The new API token waits for its holder"),
                "token": obj,
                "secret": secret,
                "activation_url": request.build_absolute_uri(reverse("tokens:list")),
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = revoke_api_tokens(
            tokens=list(queryset),
            revoked_by=request.user,  # type: ignore[arg-type]
            client_address=get_client_address(request),
        )
        self.message_user(request, _("%(count)d token(s) revoked.") % {"count": count}, messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: events are appended by the services and never changed."""

    list_display = ["id", "at", "actor_name", "signed_in_by", "client_address", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "object_id", "idempotency_key", "hash"]
    date_hierarchy = "at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    @admin.display(description=gettext_lazy("signed in by"))
    def signed_in_by(self, event: AuditEvent) -> str:
        how = event.authentication or {}
        if how.get("method") == "token":
            return _("token %(prefix)s, issued by %(issuer)s") % {
                "prefix": how.get("token_prefix"),
                "issuer": how.get("token_issued_by") or "?",
            }
        if how.get("method") == "session":
            return _("session")
        return "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
