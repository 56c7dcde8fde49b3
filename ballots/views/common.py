"""What every entry view shares: sign-in, finding the station and contest the user may work on, and answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy

from ballots.forms import said_to_a_person
from ballots.selectors import ContestProgress, StationOverview, get_contest_at_station, get_station_overview
from ballots.services.locking import StationNotFound
from trust.errors import DomainError, NotAllowed

View = TypeVar("View", bound=Callable[..., HttpResponse])


def entry_login_required(view: View) -> View:
    """Sign in on the entry site's own page, not the admin's."""
    return login_required(view, login_url=reverse_lazy("entry:login"))


def acting_user(request: HttpRequest) -> User:
    """The signed-in user (the views are all behind ``entry_login_required``)."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user


def find_station(request: HttpRequest, station_id: int) -> StationOverview:
    """The station, if it exists and the user may work on it; otherwise a 404 that says nothing more."""
    overview = get_station_overview(request.user, station_id=station_id)
    if overview is None:
        raise Http404
    return overview


def find_contest(request: HttpRequest, station_id: int, contest_id: int) -> tuple[StationOverview, ContestProgress]:
    overview = find_station(request, station_id)
    progress = get_contest_at_station(overview, contest_id=contest_id)
    if progress is None:
        raise Http404
    return overview, progress


def station_url(overview: StationOverview) -> str:
    return reverse("entry:station", args=[overview.station.pk])


def redirect_after(request: HttpRequest, url: str, action: Callable[[], Any], *, success: str) -> HttpResponseRedirect:
    """Run an action that needs no form beyond its key; say how it went and go back to ``url``."""
    try:
        action()
    except StationNotFound:
        # The station was taken from the user meanwhile: answered like any station not theirs.
        raise Http404 from None
    except NotAllowed as error:
        # The page offers no such button to this user: only a forged post gets here, and it is refused as such.
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, said_to_a_person(error))
    else:
        messages.success(request, success)
    return HttpResponseRedirect(url)
