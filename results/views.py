"""Public results pages: rendered from the cached snapshot, so a page view runs no tally query."""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import partial
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.functional import SimpleLazyObject

from results.contest_views import (
    candidate_headers,
    contest_card,
    district_rows,
    public_history,
    station_rows,
    tally_view,
)
from results.fragments import overview_context
from results.maps import district_map, shapes_of_maps, station_map
from results.presentation import Lookup, election_header, local_name
from results.selectors import get_public_snapshot, list_public_sheet_history
from results.snapshot import Snapshot, SnapshotStationResult, SnapshotTally
from results.station_tables import parse_table_sort, station_table

# Every viewer sees the same page: a shared cache in front may keep it for a second.
PAGE_MAX_AGE = 1


def _snapshot_or_404(slug: str) -> Snapshot:
    snapshot = get_public_snapshot(slug=slug)
    if snapshot is None:
        raise Http404("No published results for this election.")
    return snapshot


def _page(
    request: HttpRequest,
    template: str,
    snapshot: Snapshot,
    build: Callable[[], dict[str, Any]],
    keys: tuple[str, ...],
    page_title: str = "",
) -> HttpResponse:
    """Render a results page whose body the template caches per version: ``build`` runs only on a cache miss."""
    slug = snapshot["election"]["slug"]
    built = SimpleLazyObject(build)
    lazy = {key: SimpleLazyObject(partial(operator.getitem, built, key)) for key in keys}
    response = render(
        request,
        template,
        {"header": election_header(snapshot), "ws_path": f"/ws/results/{slug}/", "page_title": page_title, **lazy},
    )
    patch_cache_control(response, public=True, max_age=PAGE_MAX_AGE)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


def overview(request: HttpRequest, slug: str) -> HttpResponse:
    """An election's results: every contest with its bars, table and map."""
    snapshot = _snapshot_or_404(slug)
    api = {
        "snapshot": reverse("api:results_election", args=[slug]),
        "csv": reverse("api:results_stations_csv", args=[slug]),
        "nist": reverse("api:results_nist", args=[slug]),
    }

    def build() -> dict[str, Any]:
        lookup = Lookup(snapshot)
        districts = [{"name": local_name(d), "url": lookup.district_url(d["id"])} for d in snapshot["districts"]]
        contests = overview_context(snapshot)["contests"]
        shapes = shapes_of_maps(lookup, [item["map"] for item in contests])
        return {"contests": contests, "api": api, "districts": districts, "map_shapes": shapes}

    return _page(request, "results/overview.html", snapshot, build, ("contests", "api", "districts", "map_shapes"))


def contest(request: HttpRequest, slug: str, contest_slug: str) -> HttpResponse:
    """One contest: its totals, map, districts and every station."""
    snapshot = _snapshot_or_404(slug)
    lookup = Lookup(snapshot)
    item = lookup.contests.get(contest_slug)
    if item is None:
        raise Http404("No such contest.")
    sort = parse_table_sort(request.GET)

    def build() -> dict[str, Any]:
        contest_map = station_map(lookup, item)
        return {
            "card": contest_card(lookup, item),
            "map": contest_map,
            "map_shapes": shapes_of_maps(lookup, [contest_map]),
            "district_rows": district_rows(lookup, item),
            "station_table": station_table(lookup, item, station_rows(lookup, item), sort, "station-table"),
        }

    keys = ("card", "map", "map_shapes", "district_rows", "station_table")
    return _page(request, "results/contest.html", snapshot, build, keys, page_title=local_name(item))


def district(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """One district: each contest voted on there, summed over its stations, and the stations themselves."""
    snapshot = _snapshot_or_404(slug)
    lookup = Lookup(snapshot)
    found = next((d for d in snapshot["districts"] if d["code"] == code), None)
    if found is None:
        raise Http404("No such district.")
    sort = parse_table_sort(request.GET)

    def build() -> dict[str, Any]:
        contests: list[dict[str, Any]] = []
        for item in snapshot["contests"]:
            tally = next((t for t in item["districts"] if t["district_id"] == found["id"]), None)
            if tally is None:
                continue
            rows = station_rows(lookup, item, district_id=found["id"])
            contests.append(
                {
                    "name": local_name(item),
                    "url": lookup.contest_url(item),
                    "tally": tally_view(lookup, item, tally),
                    "map": district_map(lookup, item, found["id"]),
                    "station_table": station_table(lookup, item, rows, sort, f"stations-{item['slug']}"),
                }
            )
        view = {"code": found["code"], "name": local_name(found), "url": lookup.district_url(found["id"])}
        shapes = shapes_of_maps(lookup, [item["map"] for item in contests])
        return {"district": view, "contests": contests, "map_shapes": shapes}

    keys = ("district", "contests", "map_shapes")
    return _page(request, "results/district.html", snapshot, build, keys, page_title=local_name(found))


def station(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """One polling station: its result per contest, why it is quarantined, and every version of its tally sheets."""
    snapshot = _snapshot_or_404(slug)
    lookup = Lookup(snapshot)
    found = next((s for s in snapshot["stations"] if s["code"] == code), None)
    if found is None:
        raise Http404("No such polling station.")

    def build() -> dict[str, Any]:
        counts_under_over = snapshot["election"]["counts_undervotes_and_overvotes"]
        voted_on = [item for item in snapshot["contests"] if found["id"] in item["station_ids"]]
        histories = list_public_sheet_history(station_id=found["id"], contest_ids=[item["id"] for item in voted_on])
        contests = []
        for item in voted_on:
            row = next((r for r in item["stations"] if r["station_id"] == found["id"]), None)
            candidate_ids = [c["id"] for c in item["candidates"]]
            history = public_history(histories[item["id"]], candidate_ids)
            tally = None
            if row is not None:
                tally = tally_view(lookup, item, _station_tally(row, candidate_ids), single_station=True)
            contests.append(
                {
                    "name": local_name(item),
                    "url": lookup.contest_url(item),
                    "row": row,
                    "tally": tally,
                    "history": history,
                    "show_under_over": counts_under_over or any(v["undervotes"] or v["overvotes"] for v in history),
                    "headers": candidate_headers(item),
                }
            )
        district_view = {
            "name": local_name(lookup.districts[found["district_id"]]),
            "url": lookup.district_url(found["district_id"]),
        }
        view = {**found, "name": local_name(found)}
        context = {
            "station": view,
            "district": district_view,
            "contests": contests,
            "time_zone": snapshot["election"]["time_zone"],
        }
        return context

    keys = ("station", "district", "contests", "time_zone")
    title = f"{found['code']} {local_name(found)}"
    return _page(request, "results/station.html", snapshot, build, keys, page_title=title)


def _station_tally(row: SnapshotStationResult, candidate_ids: list[int]) -> SnapshotTally:
    """One station's numbers in the shape of a tally, so the same bars and table show them."""
    valid = sum(row["votes"])
    leading, tied = set(row["leading"]), set(row.get("tied", []))
    return {
        "candidates": [
            {
                "id": cid,
                "votes": n,
                "share": (n / valid if valid else None),
                "leading": cid in leading,
                "tied": cid in tied,
                "by_type": split,
            }
            for cid, n, split in zip(
                candidate_ids, row["votes"], row["votes_by_type"] or [[] for _ in candidate_ids], strict=True
            )
        ],
        "valid_votes": valid,
        "blank": row["blank"],
        "invalid": row["invalid"],
        "undervotes": row["undervotes"],
        "overvotes": row["overvotes"],
        "ballots_cast": row["ballots_cast"],
        "registered_voters": 0,
        "turnout": None,
        "stations_reporting": 1,
        "stations_total": 1,
    }


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, asked for by browsers and crawlers that do not read the page's icon link: the SVG icon."""
    response = HttpResponseRedirect(static("favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response
