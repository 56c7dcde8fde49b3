"""The live parts of the results pages, rendered from a snapshot by the same partials the pages include."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from results.presentation import Lookup, contest_card, election_header, station_map
from results.tallies import Snapshot


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


def render_parts(snapshot: Snapshot) -> dict[str, str]:
    """The live parts in the active language, keyed by the id the page gives them."""
    context = overview_context(snapshot)
    parts: dict[str, str] = {"summary": render_to_string("results/_summary.html", {"header": context["header"]})}
    for item in context["contests"]:
        parts[item["card"]["part"]] = render_to_string("results/_contest_card.html", {"card": item["card"]})
        parts[item["map"]["part"]] = render_to_string("results/_map.html", {"map": item["map"]})
    return parts


def render_parts_by_language(snapshot: Snapshot) -> dict[str, dict[str, str]]:
    """The live parts in every language of the site, rendered once per broadcast, never per viewer."""
    rendered: dict[str, dict[str, str]] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendered[code] = render_parts(snapshot)
    return rendered
