"""The live parts of the results pages, rendered from a snapshot by the same partials the pages include."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from results.contest_views import contest_card
from results.maps import station_map
from results.presentation import Lookup, election_header
from results.snapshot import Snapshot


def overview_context(snapshot: Snapshot) -> dict[str, Any]:
    """What the overview and the broadcast share: the header, and per contest its card and its map."""
    lookup = Lookup(snapshot)
    return {
        "header": election_header(snapshot),
        "contests": [
            {"card": contest_card(lookup, contest), "map": station_map(lookup, contest)}
            for contest in snapshot["contests"]
        ],
    }


def render_summary(context: dict[str, Any]) -> str:
    return render_to_string("results/_summary.html", {"header": context["header"]})


def render_card(card: dict[str, Any]) -> str:
    return render_to_string("results/_contest_card.html", {"card": card})


def render_map(station_map: dict[str, Any]) -> str:
    return render_to_string("results/_map.html", {"map": station_map})
