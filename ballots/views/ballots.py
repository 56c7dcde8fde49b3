"""The ballot-by-ballot screen: record a ballot, undo the last one, mark the count complete, reopen it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ballots import services
from ballots.forms import BallotForm, CompleteCountForm, ReasonForm, UndoForm, shown_name
from ballots.rules import counts_by
from ballots.selectors import get_ballot_at, get_last_ballot
from ballots.views.common import acting_user, entry_login_required, find_contest, redirect_after
from elections.models import Candidate
from elections.selectors import supervises
from trust.errors import DomainError
from trust.http import get_client_address


def _screen_url(station_id: int, contest_id: int) -> str:
    return reverse("entry:ballots", args=[station_id, contest_id])


def _choices(form: BallotForm) -> list[tuple[str, Candidate, bool, tuple[str, bool]]]:
    """Each candidate with its keyboard key (1–9, then 0 for the tenth), whether it is marked, and its name as shown
    with whether it needs a write-in mark."""
    marked = {str(value) for value in (form["marks"].value() or [])}
    keys = [*"1234567890"]
    return [
        (keys[i] if i < len(keys) else "", candidate, str(candidate.pk) in marked, shown_name(candidate))
        for i, candidate in enumerate(form.candidates)
    ]


@entry_login_required
@require_http_methods(["GET", "POST"])
def ballot_screen(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """One ballot per post; with JavaScript the page records through the API instead and never reloads."""
    overview, progress = find_contest(request, station_id, contest_id)
    election = overview.station.election
    if not counts_by(election, ballots=True):
        raise Http404
    form = BallotForm(request.POST or None, candidates=progress.candidates)
    last = get_last_ballot(station=overview.station, contest=progress.contest)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        try:
            services.record_ballot(
                station=overview.station,
                contest=progress.contest,
                kind=kind,
                marks=form.cleaned_data["marks"] if kind == "marked" else [],
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                client_address=get_client_address(request),
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Ballot recorded."))
            return HttpResponseRedirect(_screen_url(station_id, contest_id))
    return render(
        request,
        "ballots/ballot_screen.html",
        {
            "overview": overview,
            "election": election,
            "progress": progress,
            "form": form,
            "choices": _choices(form),
            "undo_form": UndoForm(initial={"ballot_id": last.pk if last else None}),
            "complete_form": CompleteCountForm(),
            "reopen_form": ReasonForm(),
            "last_ballot": last,
            "is_supervisor": supervises(acting_user(request), overview.station),
        },
        status=422 if form.errors else 200,
    )


@entry_login_required
@require_POST
def undo_last_ballot(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """Void the most recent ballot, with a reason; the ballot stays, the void is an entry of its own."""
    overview, progress = find_contest(request, station_id, contest_id)
    url = _screen_url(station_id, contest_id)
    form = UndoForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason to undo the last ballot."))
        return HttpResponseRedirect(url)
    last = get_ballot_at(station=overview.station, contest=progress.contest, ballot_id=form.cleaned_data["ballot_id"])
    if last is None:
        messages.error(request, _("There is no such ballot to undo."))
        return HttpResponseRedirect(url)
    return redirect_after(
        request,
        url,
        lambda: services.void_ballot(
            ballot=last,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            client_address=get_client_address(request),
        ),
        success=_("The last ballot was voided."),
    )


@entry_login_required
@require_POST
def complete_count(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """Close the station's ballots for this contest: from now on they count."""
    overview, progress = find_contest(request, station_id, contest_id)
    form = CompleteCountForm(request.POST)
    url = _screen_url(station_id, contest_id)
    if not form.is_valid():
        messages.error(request, _("The count is still open: tick the box to say that every ballot is entered."))
        return HttpResponseRedirect(url)
    return redirect_after(
        request,
        url,
        lambda: services.mark_count_complete(
            station=overview.station,
            contest=progress.contest,
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            client_address=get_client_address(request),
        ),
        success=_("The count is complete."),
    )


@entry_login_required
@require_POST
def reopen(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """A supervisor reopens a completed count, with a reason."""
    overview, progress = find_contest(request, station_id, contest_id)
    form = ReasonForm(request.POST)
    url = _screen_url(station_id, contest_id)
    if not form.is_valid():
        messages.error(request, _("Give a reason to reopen the count."))
        return HttpResponseRedirect(url)
    return redirect_after(
        request,
        url,
        lambda: services.reopen_count(
            station=overview.station,
            contest=progress.contest,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            client_address=get_client_address(request),
        ),
        success=_("The count is open again."),
    )
