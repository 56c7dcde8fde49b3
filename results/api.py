"""Open data: published results as JSON, CSV and NIST SP 1500-100 JSON, for anyone, from the cached snapshot.

Every answer may be read from any origin (CORS ``*``), carries the snapshot version as its ETag and may be cached
for a few seconds; ``If-None-Match`` with the current version answers 304 without a body.

The views answer with ready-made responses (the snapshot as JSON encoded once per version), so the declared response
types are not validated per request: they describe the answers in the OpenAPI document, and mypy checks the bodies
built here against them (``results/tests/test_snapshot_type.py`` validates real answers).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router, Schema
from pydantic import with_config
from typing_extensions import TypedDict

from elections.resources.cells import neutralise_formula
from results.nist import build_nist_report
from results.nist_types import NistElectionReport
from results.selectors import get_public_snapshot, list_public_elections, snapshot_json
from results.services import refresh_tallies
from results.snapshot import EXACT, Snapshot, SnapshotContest, SnapshotStation, SnapshotStationResult
from results.versions import read_kept_version
from trust.errors import ErrorOut, error_body

router = Router(tags=["results"])

MAX_AGE = 2


class ElectionOut(Schema):
    slug: str
    name: str
    name_ar: str
    date: dt.date
    status: str
    results_visibility: str


class ElectionsOut(Schema):
    elections: list[ElectionOut]


@with_config(EXACT)
class ContestResults(TypedDict):
    """One contest of the snapshot ``version``."""

    version: int
    contest: SnapshotContest


@with_config(EXACT)
class StationContestResult(SnapshotStationResult):
    """A station's result in one contest, with the contest's slug and its candidates' ids in ballot order."""

    contest: str
    candidates: list[int]


@with_config(EXACT)
class StationResults(TypedDict):
    """A polling station of the snapshot ``version`` and its result in each contest it reported for."""

    version: int
    station: SnapshotStation
    results: list[StationContestResult]


# 304: ``If-None-Match`` named the current version.
VERSIONED = {304: None, 404: ErrorOut}
CSV_ANSWER = {
    "responses": {
        200: {"description": "One row per station, contest and candidate.", "content": {"text/csv": {"schema": {}}}}
    }
}


def _open(response: HttpResponse, *, max_age: int = MAX_AGE) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


def _etag(snapshot: Snapshot) -> str:
    return f'"{snapshot["version"]}"'


def _not_modified(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
    return etag in tags or "*" in tags


def _versioned(
    request: HttpRequest,
    snapshot: Snapshot,
    body: str | Mapping[str, object],
    *,
    content_type: str = "application/json",
    filename: str | None = None,
) -> HttpResponse:
    etag = _etag(snapshot)
    if _not_modified(request, etag):
        response = HttpResponse(status=304)
    else:
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        response = HttpResponse(text, content_type=content_type)
        if filename:
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["ETag"] = etag
    return _open(response)


def _snapshot(slug: str) -> Snapshot:
    snapshot = get_public_snapshot(slug=slug)
    if snapshot is None:
        raise Http404("No published results for this election.")
    return snapshot


@router.get(
    "/elections", response={200: ElectionsOut}, url_name="results_elections", summary="Elections with published results"
)
def list_elections(request: HttpRequest) -> HttpResponse:
    """Every election whose results are provisional or official."""
    rows = [
        {
            "slug": e.slug,
            "name": e.name,
            "name_ar": e.name_ar,
            "date": e.date.isoformat(),
            "status": e.status,
            "results_visibility": e.results_visibility,
        }
        for e in list_public_elections()
    ]
    return _open(HttpResponse(json.dumps({"elections": rows}, ensure_ascii=False), content_type="application/json"))


@router.get(
    "/elections/{slug}",
    response={200: Snapshot, **VERSIONED},
    url_name="results_election",
    summary="An election's results snapshot",
)
def get_election(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole snapshot: per contest, district and station, with its version (also the ETag)."""
    snapshot = _snapshot(slug)
    return _versioned(request, snapshot, snapshot_json(snapshot))


@router.get(
    "/elections/{slug}/contests/{contest_slug}",
    response={200: ContestResults, **VERSIONED},
    url_name="results_contest",
    summary="One contest's results",
)
def get_contest(request: HttpRequest, slug: str, contest_slug: str) -> HttpResponse:
    """One contest of the snapshot, with the version it comes from."""
    snapshot = _snapshot(slug)
    contest = next((c for c in snapshot["contests"] if c["slug"] == contest_slug), None)
    if contest is None:
        raise Http404("No such contest.")
    body: ContestResults = {"version": snapshot["version"], "contest": contest}
    return _versioned(request, snapshot, body)


@router.get(
    "/elections/{slug}/stations/{code}",
    response={200: StationResults, **VERSIONED},
    url_name="results_station",
    summary="One polling station's results",
)
def get_station(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """A polling station and its result in each contest (quarantined results say so and why)."""
    snapshot = _snapshot(slug)
    station = next((s for s in snapshot["stations"] if s["code"] == code), None)
    if station is None:
        raise Http404("No such polling station.")
    results: list[StationContestResult] = [
        {"contest": c["slug"], "candidates": [cand["id"] for cand in c["candidates"]], **row}
        for c in snapshot["contests"]
        for row in c["stations"]
        if row["station_id"] == station["id"]
    ]
    body: StationResults = {"version": snapshot["version"], "station": station, "results": results}
    return _versioned(request, snapshot, body)


def safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: text that would start a formula gets a leading apostrophe, by the same
    rule as the election's own exports (``neutralise_formula``)."""
    return neutralise_formula(value) if isinstance(value, str) else value


def stations_csv(snapshot: Snapshot) -> str:
    """Every reported station result, one row per station, contest and candidate. Where the election reports vote
    types, a ``votes_<code>`` column per type follows, in the snapshot's order; their sum is ``votes``."""
    stations = {s["id"]: s for s in snapshot["stations"]}
    districts = {d["id"]: d for d in snapshot["districts"]}
    parties = {p["id"]: p for p in snapshot["parties"]}
    type_columns = [f"votes_{t['code']}" for t in snapshot["vote_types"]]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "station_code",
            "station_name",
            "district_code",
            "contest",
            "quarantined",
            "ballots_cast",
            "blank",
            "invalid",
            "candidate",
            "party",
            "votes",
            # Added after the columns above, so that readers of the older layout keep working.
            "undervotes",
            "overvotes",
            "write_in",
            *type_columns,
        ]
    )
    for contest in snapshot["contests"]:
        for row in contest["stations"]:
            station = stations[row["station_id"]]
            splits = row["votes_by_type"] or [[0] * len(type_columns) for _ in contest["candidates"]]
            for candidate, votes, split in zip(contest["candidates"], row["votes"], splits, strict=True):
                party = parties.get(candidate["party_id"]) if candidate["party_id"] is not None else None
                cells = [
                    station["code"],
                    station["name"],
                    districts[station["district_id"]]["code"],
                    contest["slug"],
                    "yes" if row["quarantined"] else "no",
                    row["ballots_cast"],
                    row["blank"],
                    row["invalid"],
                    candidate["name"],
                    party["abbreviation"] if party else "",
                    votes,
                    row["undervotes"],
                    row["overvotes"],
                    "yes" if candidate["is_write_in"] else "no",
                    *split,
                ]
                writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


@router.get(
    "/elections/{slug}/stations.csv",
    response=VERSIONED,
    openapi_extra=CSV_ANSWER,
    url_name="results_stations_csv",
    summary="Station results as CSV",
)
def get_stations_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Station results as CSV; cells that a spreadsheet would run as formulas are escaped."""
    snapshot = _snapshot(slug)
    return _versioned(
        request,
        snapshot,
        stations_csv(snapshot),
        content_type="text/csv; charset=utf-8",
        filename=f"{slug}-stations-v{snapshot['version']}.csv",
    )


@router.get(
    "/elections/{slug}/nist.json",
    response={200: NistElectionReport, **VERSIONED},
    url_name="results_nist",
    summary="NIST SP 1500-100 election results",
)
def get_nist(request: HttpRequest, slug: str) -> HttpResponse:
    """The results in the NIST SP 1500-100 (Election Results Common Data Format, v2) JSON form."""
    snapshot = _snapshot(slug)
    return _versioned(request, snapshot, build_nist_report(snapshot))


# A version's JSON never changes once kept: any cache may keep it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


class LatestVersion(Schema):
    """The newest public version of an election's results and the immutable address of its JSON."""

    version: int
    url: str
    updated_at: str
    results_visibility: str


def _error(status: int, code: str, message: str, details: dict[str, object] | None = None) -> HttpResponse:
    body = {"error": error_body(code=code, message=message, details=details)}
    return _open(HttpResponse(json.dumps(body), content_type="application/json", status=status))


def _latest_address(slug: str) -> str:
    return reverse("api:results_latest", args=[slug])


@router.get(
    "/elections/{slug}/latest.json",
    response={200: LatestVersion, 304: None, 404: ErrorOut, 503: ErrorOut},
    url_name="results_latest",
    summary="The newest version of an election's results",
)
def get_latest(request: HttpRequest, slug: str) -> HttpResponse:
    """A small pointer, cached for a couple of seconds: the newest version and the immutable address of its JSON
    (``/elections/{slug}/v/{version}.json``). Everything but this pointer may be served from a CDN."""
    snapshot = _snapshot(slug)
    if read_kept_version(slug=slug, version=snapshot["version"]) is None:
        # The cache lost this version's text (a flush): count a new version, which is kept, instead of naming an
        # address whose bytes could differ from what a CDN already holds for that number.
        refresh_tallies(election_id=int(snapshot["election"]["id"]))
        snapshot = _snapshot(slug)
        if read_kept_version(slug=slug, version=snapshot["version"]) is None:
            response = _error(503, "recounting", "The results are being recounted. Try again in a second.")
            response["Retry-After"] = "1"
            response["Cache-Control"] = "no-store"
            return response
    version = int(snapshot["version"])
    body = {
        "version": version,
        "url": reverse("api:results_version", args=[slug, version]),
        "updated_at": snapshot["updated_at"],
        "results_visibility": snapshot["election"]["results_visibility"],
    }
    return _versioned(request, snapshot, body)


@router.get(
    "/elections/{slug}/v/{version}.json",
    response={200: Snapshot, 304: None, 404: ErrorOut, 410: ErrorOut},
    url_name="results_version",
    summary="One version of an election's results, at an address that never changes",
)
def get_version(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    """The snapshot ``version`` exactly as it was published: the same bytes on every request and every node, with
    ``Cache-Control: public, max-age=31536000, immutable`` and a strong ETag. The last versions of each election are
    kept; an older one answers 410 and names the pointer (``latest.json``) to fetch the newest from."""
    current = _snapshot(slug)
    kept = read_kept_version(slug=slug, version=version) if version > 0 else None
    if kept is None:
        latest = _latest_address(slug)
        details: dict[str, object] = {"latest": latest, "latest_version": int(current["version"])}
        if 0 < version <= current["version"]:
            return _error(
                410,
                "version_gone",
                f"Version {version} of these results is no longer kept. Fetch the newest version from {latest}.",
                details,
            )
        return _error(
            404,
            "not_found",
            f"There is no version {version} of these results. The newest is named at {latest}.",
            details,
        )
    return immutable_response(request, kept.text, kept.etag)


def immutable_response(request: HttpRequest, text: str, etag: str) -> HttpResponse:
    """``text`` for any cache to keep for a year, or 304 when the client holds it (``If-None-Match``)."""
    response = (
        HttpResponse(status=304)
        if _not_modified(request, etag)
        else HttpResponse(text, content_type="application/json")
    )
    response["ETag"] = etag
    _open(response)
    response["Cache-Control"] = IMMUTABLE
    return response
