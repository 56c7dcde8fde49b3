"""Update frames for live viewers: per language, only what changed since the last broadcast.

A frame names the version its changes are relative to (``previous``) and every part a broadcast covers (``live``).
Summary and contest cards travel as HTML rendered by the page's own partials. A station map travels as data: once
as HTML, then only the dots whose colour, state or label changed (``dots``: part → station code → [colour, state,
label]), so one station reporting costs a few dozen bytes instead of the whole SVG. The map is sent again as HTML
only when something besides its dots changed (its legend, its stations). A viewer holding ``previous`` applies the
frame; any other viewer reloads the page's parts. Frames are encoded once per language, never per viewer, in UTF-8
(escaped Arabic would double their size).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from results.fragments import overview_context, render_card, render_map, render_summary
from results.snapshot import Snapshot

# What the last broadcast of an election sent in one language; kept as long as the snapshot itself.
STATE_TIMEOUT = 600


def state_key(election_id: int, language: str) -> str:
    return f"results:frames:{election_id}:{language}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def dot_states(station_map: dict[str, Any]) -> dict[str, list[str]]:
    """What a viewer's copy of the map needs to follow each station: its colour, its state and its label."""
    return {dot["code"]: [dot["colour"], dot["status"], dot["title"]] for dot in station_map["dots"]}


def map_outline(station_map: dict[str, Any]) -> str:
    """A digest of everything on the map except the dots' states: when it changes, the map is sent whole."""
    outline = {key: value for key, value in station_map.items() if key != "dots"}
    outline["places"] = [[dot["code"], dot["x"], dot["y"]] for dot in station_map["dots"]]
    return _digest(json.dumps(outline, sort_keys=True, ensure_ascii=False))


def language_frame(snapshot: Snapshot, last: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The frame for the active language after ``last`` (what the previous broadcast sent), and the new state."""
    context = overview_context(snapshot)
    last_hashes: dict[str, str] = last.get("hashes", {})
    last_dots: dict[str, dict[str, list[str]]] = last.get("dots", {})
    hashes: dict[str, str] = {}
    parts: dict[str, str] = {}
    dots: dict[str, dict[str, list[str]]] = {}
    maps: dict[str, dict[str, list[str]]] = {}

    def offer(part: str, html: str) -> None:
        hashes[part] = _digest(html)
        if last_hashes.get(part) != hashes[part]:
            parts[part] = html

    offer("summary", render_summary(context))
    for item in context["contests"]:
        offer(item["card"]["part"], render_card(item["card"]))
        station_map = item["map"]
        part = station_map["part"]
        hashes[part] = map_outline(station_map)
        maps[part] = dot_states(station_map)
        if last_hashes.get(part) != hashes[part] or part not in last_dots:
            parts[part] = render_map(station_map)
            continue
        changed = {code: state for code, state in maps[part].items() if last_dots[part].get(code) != state}
        if changed:
            dots[part] = changed
    frame = {
        "type": "update",
        "version": int(snapshot["version"]),
        "previous": int(last.get("version", 0)),
        "updated_at": snapshot["updated_at"],
        # Viewers may keep the audit log's head each frame carries, as they may keep the snapshot's (docs/audit.md).
        "audit_head": snapshot.get("audit_head"),
        "live": sorted(hashes),
        "parts": parts,
        "dots": dots,
    }
    return frame, {"version": int(snapshot["version"]), "hashes": hashes, "dots": maps}


def build_messages(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """One channel-layer message per language of the site, each carrying its encoded frame."""
    election_id = int(snapshot["election"]["id"])
    messages: dict[str, dict[str, Any]] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            frame, state = language_frame(snapshot, cache.get(state_key(election_id, language)) or {})
        cache.set(state_key(election_id, language), state, STATE_TIMEOUT)
        messages[language] = {
            "type": "results.update",
            "version": frame["version"],
            # The version the frame follows, beside it: a viewer holding another one is caught up instead.
            "previous": frame["previous"],
            "updated_at": snapshot["updated_at"],
            "frame": json.dumps(frame, ensure_ascii=False, separators=(",", ":")),
        }
    return messages
