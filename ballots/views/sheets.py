"""The tally sheet form (first entry, second entry, correction) and a sheet's history with a supervisor's actions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ballots import services
from ballots.forms import KeyOnlyForm, ReasonForm, SheetForm, shown_name
from ballots.models import TallySheet
from ballots.selectors import get_open_sheet, list_sheet_history, sheet_numbers
from ballots.selectors.sheet_steps import SheetStep, list_sheet_steps
from ballots.views.common import acting_user, entry_login_required, find_contest, redirect_after, station_url
from ballots.views.comparison import shown_residuals, votes_cells
from elections.selectors import supervises
from trust.errors import DomainError
from trust.http import get_client_address

SHEET_MESSAGES = {
    TallySheet.Status.ACCEPTED: gettext_lazy("The tally sheet was accepted (version %(version)d)."),
    TallySheet.Status.PENDING_SECOND_ENTRY: gettext_lazy(
        "Saved as the first entry (version %(version)d); a second clerk must now enter the same sheet."
    ),
    TallySheet.Status.NEEDS_REVIEW: gettext_lazy(
        "Saved as version %(version)d; it differs from the other entry, so a supervisor will review it."
    ),
    TallySheet.Status.QUARANTINED: gettext_lazy("Saved as version %(version)d, but it is quarantined: %(reason)s"),
}


@entry_login_required
@require_http_methods(["GET", "POST"])
def sheet_form(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """Enter the tally sheet; refused numbers come back beside their fields, as typed, under the same key."""
    overview, progress = find_contest(request, station_id, contest_id)
    election = overview.station.election
    step = list_sheet_steps(acting_user(request), overview)[progress.contest.pk]
    context = {"overview": overview, "election": election, "progress": progress, "step": step}
    if request.method == "GET" and not step.takes_entry:
        # Nothing typed here would be taken: the page says why instead of offering a blank form.
        return render(request, "ballots/sheet_blocked.html", context)
    correction = step.step == SheetStep.CORRECT
    current = get_open_sheet(station=overview.station, contest=progress.contest) if correction else None
    form = SheetForm(
        request.POST or None,
        election=election,
        candidates=progress.candidates,
        vote_types=overview.vote_types,
        show_reason=correction,
        accepted=sheet_numbers(current) if current is not None else None,
    )
    if request.method == "POST" and form.is_valid():
        numbers = form.numbers()
        try:
            recorded = services.submit_tally_sheet(
                station=overview.station,
                contest=progress.contest,
                ballots_cast=form.cleaned_data["ballots_cast"],
                blank=numbers["blank"],
                invalid=numbers["invalid"],
                undervotes=numbers["undervotes"],
                overvotes=numbers["overvotes"],
                votes=numbers["votes"],
                votes_by_type=numbers["by_type"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                client_address=get_client_address(request),
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            sheet = recorded.obj
            message = str(SHEET_MESSAGES.get(TallySheet.Status(sheet.status), ""))
            messages.success(request, message % {"version": sheet.version, "reason": sheet.quarantine_reason})
            return HttpResponseRedirect(station_url(overview))
    return render(
        request,
        "ballots/sheet_form.html",
        {**context, "form": form, "correction": correction, "current": current},
        status=422 if form.errors else 200,
    )


@entry_login_required
def sheet_history(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """Every version of the sheet with its numbers and reasons; a supervisor can quarantine or release it here."""
    overview, progress = find_contest(request, station_id, contest_id)
    current = get_open_sheet(station=overview.station, contest=progress.contest)
    history = list_sheet_history(station=overview.station, contest=progress.contest)
    residuals = shown_residuals(overview.station.election, [v.numbers for v in history])
    return render(
        request,
        "ballots/sheet_history.html",
        {
            "overview": overview,
            "election": overview.station.election,
            "progress": progress,
            "residual_labels": [label for _name, label in residuals],
            "candidate_names": [shown_name(c) for c in progress.candidates],
            "versions": [
                {
                    "version": v,
                    "status": TallySheet.Status(v.status).label,
                    "residuals": [getattr(v.numbers, name) for name, _label in residuals],
                    "votes": votes_cells(v.numbers, progress.candidates, overview.vote_types),
                }
                for v in history
            ],
            "current": current,
            "is_supervisor": supervises(acting_user(request), overview.station),
            "quarantine_form": ReasonForm(),
            "release_form": KeyOnlyForm(),
        },
    )


def _current_sheet(request: HttpRequest, station_id: int, contest_id: int) -> tuple[str, TallySheet]:
    overview, progress = find_contest(request, station_id, contest_id)
    current = get_open_sheet(station=overview.station, contest=progress.contest)
    if current is None:
        raise Http404
    return reverse("entry:sheet_history", args=[station_id, contest_id]), current


@entry_login_required
@require_POST
def quarantine(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """Take the accepted sheet out of the tallies with a public reason."""
    url, current = _current_sheet(request, station_id, contest_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the quarantine."))
        return HttpResponseRedirect(url)
    return redirect_after(
        request,
        url,
        lambda: services.quarantine_sheet(
            sheet=current,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            client_address=get_client_address(request),
        ),
        success=_("The sheet is quarantined; it no longer counts in the results."),
    )


@entry_login_required
@require_POST
def release(request: HttpRequest, station_id: int, contest_id: int) -> HttpResponse:
    """Put a quarantined sheet back into the tallies."""
    url, current = _current_sheet(request, station_id, contest_id)
    form = KeyOnlyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete; try again."))
        return HttpResponseRedirect(url)
    return redirect_after(
        request,
        url,
        lambda: services.release_sheet(
            sheet=current,
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
            client_address=get_client_address(request),
        ),
        success=_("The sheet is released; it counts in the results again."),
    )
