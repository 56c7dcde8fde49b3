"""The entry home (my stations), a station's page, and its turnout form."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ballots import services
from ballots.forms import TurnoutForm
from ballots.selectors import list_station_overviews
from ballots.selectors.sheet_steps import list_sheet_steps
from ballots.views.common import acting_user, entry_login_required, find_station, station_url
from trust.errors import DomainError
from trust.http import get_client_address


@entry_login_required
def home(request: HttpRequest) -> HttpResponse:
    """The stations the user may work on, grouped by election."""
    overviews = list_station_overviews(request.user)
    return render(request, "ballots/home.html", {"overviews": overviews})


@entry_login_required
def station(request: HttpRequest, station_id: int) -> HttpResponse:
    """Per contest: ballots entered, the tally sheet's status, whether the count is complete; turnout so far."""
    overview = find_station(request, station_id)
    user = acting_user(request)
    steps = list_sheet_steps(user, overview)
    return render(
        request,
        "ballots/station.html",
        {
            "overview": overview,
            "election": overview.station.election,
            "contests": [(progress, steps[progress.contest.pk]) for progress in overview.contests],
        },
    )


@entry_login_required
@require_http_methods(["GET", "POST"])
def turnout(request: HttpRequest, station_id: int) -> HttpResponse:
    """Report how many voters have voted so far."""
    overview = find_station(request, station_id)
    form = TurnoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_turnout(
                station=overview.station,
                voters=form.cleaned_data["voters"],
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                client_address=get_client_address(request),
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Turnout recorded."))
            return HttpResponseRedirect(station_url(overview))
    status = 422 if form.errors else 200
    return render(
        request,
        "ballots/turnout_form.html",
        {"overview": overview, "election": overview.station.election, "form": form},
        status=status,
    )
