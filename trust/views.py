"""The page where a signed-in user sees the API tokens issued to them, activates a pending one (its secret is shown
once, on the page that answers, and nowhere else) or declines it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trust.errors import DomainError
from trust.http import get_client_address
from trust.models import ApiToken
from trust.tokens import activate_api_token, find_token_of, list_tokens_of, revoke_api_tokens

# Staff sign in on the entry site's page; officials may too.
LOGIN_URL = reverse_lazy("entry:login")


def _signed_in_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user


def _own_token(request: HttpRequest, token_id: int) -> ApiToken:
    """One of the signed-in user's tokens; anyone else's is answered as if it did not exist."""
    api_token = find_token_of(user=_signed_in_user(request), token_id=token_id)
    if api_token is None:
        raise Http404
    return api_token


def _back_to_list() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("tokens:list"))


@require_GET
@login_required(login_url=LOGIN_URL)
def api_tokens(request: HttpRequest) -> HttpResponse:
    tokens = list_tokens_of(user=_signed_in_user(request))
    context = {
        "pending": [token for token in tokens if token.is_pending],
        "active": [token for token in tokens if token.is_active],
    }
    return render(request, "trust/api_tokens.html", context)


@require_POST
@login_required(login_url=LOGIN_URL)
def activate_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """Activate a pending token and show its secret on this answer only: never in a message (a cookie), never again."""
    api_token = _own_token(request, token_id)
    try:
        api_token, secret = activate_api_token(
            api_token=api_token, user=_signed_in_user(request), client_address=get_client_address(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back_to_list()
    response = render(request, "trust/api_token_activated.html", {"token": api_token, "secret": secret})
    add_never_cache_headers(response)
    return response


@require_POST
@login_required(login_url=LOGIN_URL)
def decline_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """Refuse a token one did not ask for, or give up one no longer needed: it is revoked."""
    api_token = _own_token(request, token_id)
    try:
        revoke_api_tokens(
            tokens=[api_token], revoked_by=_signed_in_user(request), client_address=get_client_address(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The token %(prefix)s is revoked.") % {"prefix": api_token.prefix})
    return _back_to_list()
