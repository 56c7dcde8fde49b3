"""Public pages of the elections app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from elections.selectors import list_elections_for_home
from trust.roles import is_official


def home(request: HttpRequest) -> HttpResponse:
    """The front page: elections with their status, and where each kind of visitor goes next."""
    return render(
        request,
        "elections/home.html",
        {"elections": list_elections_for_home(), "is_official": is_official(request.user)},
    )
