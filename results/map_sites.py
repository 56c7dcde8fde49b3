"""Station markers as the results maps draw them: where they go (placed once per set of stations and scale), what
each is called (the site's name), what it says (the stations' summed result) and, for a marker of several stations,
the list of them that it links to."""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext

from results.map_labels import Shown, marker_shown, standing_of
from results.map_markers import Marker, Place, place_markers
from results.presentation import Lookup, isolated, local_name
from results.snapshot import SnapshotContest, SnapshotStation


def shown_fields(shown: Shown) -> dict[str, Any]:
    """What live frames update of an area or marker, by its key: its fill, its state and its ``<title>`` (the link's
    accessible name and tooltip)."""
    return {"colour": shown.colour, "status": shown.status, "title": shown.title}


# Where the markers went, by the places and the scale: stations rarely move, while each new version of the results
# redraws every map (placing a national election's thousands of stations takes a good part of a second).
MAX_PLACEMENTS = 64
_placements: dict[tuple[tuple[Place, ...], float], list[Marker]] = {}


def placed_markers(places: list[Place], unit: float) -> list[Marker]:
    """``place_markers`` of these places at this scale, remembered in this process."""
    key = (tuple(places), unit)
    markers = _placements.get(key)
    if markers is None:
        if len(_placements) >= MAX_PLACEMENTS:
            _placements.clear()
        markers = _placements[key] = place_markers(places, unit=unit)
    return markers


def site_name(stations: list[SnapshotStation]) -> str:
    """What the stations of one site are called together: their names' common beginning up to its last comma (the
    school of “Al-Noor School, box 1” and “…, box 2”), else the first station's name."""
    names = [local_name(station) for station in stations]
    common = names[0]
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    if len(set(names)) == 1:
        return names[0]
    cut = max(common.rfind(separator) for separator in (",", "،", " - ", "("))
    head = common[:cut].strip() if cut > 0 else ""
    return head if len(head) >= 3 else names[0]


def marker_dot(
    lookup: Lookup,
    contest: SnapshotContest,
    rows: dict[int, Any],
    marker: Marker,
    *,
    index: int,
    part: str,
    unit: float,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A marker as the template draws it, and the list of its stations when it stands for more than one (``rows``:
    the contest's station results by station id)."""
    stations = [lookup.stations[station_id] for station_id in marker.station_ids]
    counted = [rows[s["id"]] for s in stations if s["id"] in rows and not rows[s["id"]]["quarantined"]]
    quarantined = sum(1 for s in stations if s["id"] in rows and rows[s["id"]]["quarantined"])
    votes = [sum(column) for column in zip(*(row["votes"] for row in counted), strict=True)] if counted else []
    standing = standing_of(contest["candidates"], votes or [0] * len(contest["candidates"]))
    count = len(stations)
    if count == 1:
        place = f"{stations[0]['code']} {isolated(local_name(stations[0]))}"
        url, code, listed = lookup.station_url(stations[0]["id"]), stations[0]["code"], None
    else:
        # Sites merged on the map are named after the first of them.
        first_site = site_name([lookup.stations[i] for i in marker.places[0].station_ids])
        site = isolated(first_site)
        if len(marker.places) == 1:
            place = ngettext("%(site)s (%(count)d polling station)", "%(site)s (%(count)d polling stations)", count)
        else:
            place = ngettext(
                "%(site)s and nearby (%(count)d polling station)",
                "%(site)s and nearby (%(count)d polling stations)",
                count,
            )
        place = place % {"site": site, "count": count}
        anchor = f"{part}-place-{index}"
        # Known by its first station, as a marker of one station is: each station is in one marker only.
        url, code = f"#{anchor}", stations[0]["code"]
        listed = {
            "id": anchor,
            "name": first_site,
            "nearby": len(marker.places) > 1,
            "count": count,
            "stations": [
                {"code": s["code"], "name": local_name(s), "url": lookup.station_url(s["id"])} for s in stations
            ],
        }
    shown = marker_shown(lookup, place, standing, reporting=len(counted), total=count, quarantined=quarantined)
    dot = {
        "kind": "marker",
        "code": code,
        "url": url,
        "x": round(marker.x, 1),
        "y": round(marker.y, 1),
        "r": round(marker.r, 1),
        "count": count,
        "font": round(10 * unit, 1),
        **shown_fields(shown),
    }
    return dot, listed
