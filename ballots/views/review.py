"""A supervisor's review queue: sheets whose entries differ, compared side by side, settled by one decision."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ballots import services
from ballots.forms import AcceptVersionForm, SheetForm
from ballots.selectors import get_review_item, list_review_queue, list_sheet_history
from ballots.services.review import DecidingExtras
from ballots.views.common import acting_user, entry_login_required
from ballots.views.comparison import compare_versions
from elections.names import local_name_of
from elections.selectors import can_review
from trust.errors import DomainError
from trust.http import get_client_address


@entry_login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Every sheet in the user's districts that waits for a supervisor."""
    user = acting_user(request)
    if not can_review(user):
        raise PermissionDenied
    return render(request, "ballots/review_queue.html", {"items": list_review_queue(user)})


@entry_login_required
@require_http_methods(["GET", "POST"])
def review_item(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """Both versions side by side; accept one, or enter the deciding version."""
    item = get_review_item(request.user, station_id=station_id, contest_id=contest_id)
    if item is None:
        raise Http404
    deciding = request.method == "POST" and request.POST.get("action") == "decide"
    accepting = request.method == "POST" and not deciding
    election = item.station.election
    candidates = list(item.contest.candidates.order_by("ballot_order"))
    vote_types = list(election.vote_types.all())
    accept_form = AcceptVersionForm(request.POST if accepting else None)
    sheet_form = SheetForm(
        request.POST if deciding else None,
        election=election,
        candidates=candidates,
        vote_types=vote_types,
        show_reason=False,
    )
    form = sheet_form if deciding else accept_form
    if request.method == "POST" and form.is_valid():
        choice = _deciding(sheet_form) if deciding else {"accept_version": accept_form.cleaned_data["accept_version"]}
        try:
            settled = services.resolve_sheet_review(
                station=item.station,
                contest=item.contest,
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                client_address=get_client_address(request),
                **choice,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _(
                    "Review settled: version %(version)d is accepted for %(contest)s at polling station %(code)s "
                    "%(station)s."
                )
                % {
                    "version": settled.obj.version,
                    "contest": local_name_of(item.contest),
                    "code": item.station.code,
                    "station": local_name_of(item.station),
                },
            )
            return HttpResponseRedirect(reverse("entry:review_queue"))
    in_question = {v.version for v in item.versions}
    numbers = [
        v.numbers for v in list_sheet_history(station=item.station, contest=item.contest) if v.version in in_question
    ]
    return render(
        request,
        "ballots/review_item.html",
        {
            "item": item,
            "election": election,
            "lines": compare_versions(election, candidates, vote_types, numbers),
            "accept_form": accept_form,
            "sheet_form": sheet_form,
        },
        status=422 if form.errors else 200,
    )


def _deciding(form: SheetForm) -> dict[str, Any]:
    """The deciding version's numbers as the review service takes them."""
    numbers = form.numbers()
    return {
        "ballots_cast": form.cleaned_data["ballots_cast"],
        "blank": numbers["blank"],
        "invalid": numbers["invalid"],
        "votes": numbers["votes"],
        "reason": form.cleaned_data["reason"],
        "extras": DecidingExtras(
            undervotes=numbers["undervotes"], overvotes=numbers["overvotes"], votes_by_type=numbers["by_type"]
        ),
    }
