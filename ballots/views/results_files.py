"""The results file page, for officials: upload an OpenElections CSV or a NIST JSON report, see what it would do
(every problem named, nothing written), then confirm. A file either gives a draft election its structure or enters
its results as tally sheets."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from ballots.results_files import ResultsFileRejected, enter_results_file, plan_results_file
from ballots.results_files.forms import (
    STRUCTURE,
    ConfirmResultsFileForm,
    ResultsFileForm,
    keep_file,
    kept_file,
)
from ballots.views.common import acting_user, entry_login_required
from elections.models import Election
from elections.results_files import ResultsFile, ResultsFileRefused, parse_results_file
from elections.results_files.structure import plan_structure
from elections.services.structure import create_structure_from_results_file, describe_structure_counts
from trust.errors import DomainError
from trust.http import get_client_address
from trust.roles import is_official

TEMPLATE = "ballots/results_file.html"
# The preview names every problem; the page shows this many, then counts the rest.
SHOWN_PROBLEMS = 200


def _official(request: HttpRequest) -> User:
    user = acting_user(request)
    if not is_official(user):
        raise PermissionDenied(_("Only an official can upload a results file."))
    return user


def _read(data: bytes) -> tuple[ResultsFile | None, list[str]]:
    try:
        return parse_results_file(data), []
    except ResultsFileRefused as refused:
        return None, [str(problem) for problem in refused.problems]


def _render(request: HttpRequest, context: dict[str, Any], *, problems: list[str]) -> HttpResponse:
    context.setdefault("form", ResultsFileForm())
    context["problems"] = problems[:SHOWN_PROBLEMS]
    context["more_problems"] = max(0, len(problems) - SHOWN_PROBLEMS)
    return render(request, TEMPLATE, context, status=422 if problems else 200)


def _preview(
    request: HttpRequest, user: User, *, election: Election, purpose: str, data: bytes, file_name: str
) -> HttpResponse:
    """What the file would do, and the confirmation when it can do it."""
    results, problems = _read(data)
    context: dict[str, Any] = {"election": election, "purpose": purpose, "file_name": file_name, "results": results}
    if results is None:
        return _render(request, context, problems=problems)
    if purpose == STRUCTURE:
        structure = plan_structure(election=election, results=results)
        problems += structure.problems
        context["structure_counts"] = describe_structure_counts(structure.counts)
        ready = not structure.is_empty
    else:
        plan = plan_results_file(election=election, results=results, actor=user)
        problems += plan.problems
        context["plan"] = plan
        ready = bool(plan.writes)
    context["nothing_to_do"] = not ready and not problems
    if ready and not problems:
        keep_file(results.sha256, data)
        context["confirm_form"] = ConfirmResultsFileForm(
            initial={"election": election.pk, "purpose": purpose, "sha256": results.sha256, "file_name": file_name}
        )
    return _render(request, context, problems=problems)


def _say_entered(request: HttpRequest, entered: int, sha256: str) -> None:
    if entered:
        messages.success(
            request,
            ngettext(
                "%(count)d tally sheet entered from the file (SHA-256 %(sha256)s).",
                "%(count)d tally sheets entered from the file (SHA-256 %(sha256)s).",
                entered,
            )
            % {"count": entered, "sha256": sha256[:12]},
        )
    else:
        messages.info(request, _("Nothing changed: every sheet of this file was already entered."))


def _confirm(request: HttpRequest, user: User) -> HttpResponse:
    form = ConfirmResultsFileForm(request.POST)
    back = HttpResponseRedirect(reverse("entry:results_file"))
    if not form.is_valid():
        messages.error(request, _("This confirmation is no longer valid. Upload the file again."))
        return back
    election, purpose, sha256 = (form.cleaned_data[name] for name in ("election", "purpose", "sha256"))
    file_name = form.cleaned_data["file_name"]
    data = kept_file(sha256)
    results = _read(data)[0] if data is not None else None
    if results is None or results.sha256 != sha256:
        messages.error(request, _("The uploaded file is no longer kept. Upload it again."))
        return back
    context: dict[str, Any] = {"election": election, "purpose": purpose, "file_name": file_name, "results": results}
    writer = {"election": election, "results": results, "actor": user, "client_address": get_client_address(request)}
    try:
        if purpose == STRUCTURE:
            created = create_structure_from_results_file(**writer, file_name=file_name)
            messages.success(
                request,
                _("Created from the file: %(counts)s.")
                % {"counts": ", ".join(describe_structure_counts(created.counts))},
            )
        else:
            _say_entered(request, enter_results_file(**writer, file_name=file_name).entered, sha256)
    except ResultsFileRejected as error:
        return _render(request, context, problems=list(error.details.get("problems") or [error.message]))
    except DomainError as error:
        return _render(request, context, problems=[error.message])
    return back


@entry_login_required
@require_http_methods(["GET", "POST"])
def results_file(request: HttpRequest) -> HttpResponse:
    """Upload a results file and see what it would do; confirm to do it."""
    user = _official(request)
    if request.method == "POST" and "sha256" in request.POST:
        return _confirm(request, user)
    form = ResultsFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["results_file"]
        return _preview(
            request,
            user,
            election=form.cleaned_data["election"],
            purpose=form.cleaned_data["purpose"],
            data=b"".join(upload.chunks()),
            file_name=str(upload.name or "")[:255],
        )
    return render(request, TEMPLATE, {"form": form}, status=422 if form.errors else 200)
