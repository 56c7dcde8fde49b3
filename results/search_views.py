"""The "find my polling station" search: a page that works without JavaScript, and the suggestions its box shows
as one types. Both search the published snapshot, so they cost no query once it is cached."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers

from results.presentation import Lookup, election_header, local_name
from results.selectors import get_public_snapshot
from results.snapshot import Snapshot, SnapshotStation
from results.station_search import MAX_QUERY_LENGTH, find_stations

PAGE_LIMIT = 50
SUGGESTION_LIMIT = 8
MAX_AGE = 1


def _snapshot_or_404(slug: str) -> Snapshot:
    snapshot = get_public_snapshot(slug=slug)
    if snapshot is None:
        raise Http404("No published results for this election.")
    return snapshot


def _query(request: HttpRequest) -> str:
    return str(request.GET.get("q", ""))[:MAX_QUERY_LENGTH].strip()


def _shown(lookup: Lookup, station: SnapshotStation) -> dict[str, Any]:
    district = lookup.districts.get(station["district_id"])
    return {
        "code": station["code"],
        "name": local_name(station),
        "district": local_name(district) if district else "",
        "url": lookup.station_url(station["id"]),
    }


def _public(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


def find_station(request: HttpRequest, slug: str) -> HttpResponse:
    """The stations whose code or name matches ``?q=``, each linked to its page; a code typed whole goes straight to
    its station."""
    snapshot = _snapshot_or_404(slug)
    query = _query(request)
    matches = find_stations(snapshot, query, limit=PAGE_LIMIT)
    lookup = Lookup(snapshot)
    if matches.exact is not None:
        return _public(HttpResponseRedirect(lookup.station_url(matches.exact["id"])))
    context = {
        "header": election_header(snapshot),
        "query": query,
        "stations": [_shown(lookup, station) for station in matches.stations],
        "more": matches.more,
    }
    return _public(render(request, "results/find_station.html", context))


def station_suggestions(request: HttpRequest, slug: str) -> HttpResponse:
    """The first few stations matching ``?q=`` as JSON, for the search box's list of suggestions."""
    snapshot = _snapshot_or_404(slug)
    query = _query(request)
    matches = find_stations(snapshot, query, limit=SUGGESTION_LIMIT)
    lookup = Lookup(snapshot)
    body = {
        "query": query,
        "stations": [_shown(lookup, station) for station in matches.stations],
        "more": matches.more,
    }
    return _public(JsonResponse(body, json_dumps_params={"ensure_ascii": False}))
