"""Catch-up frames: one frame that brings a viewer from any version to the newest, over the socket.

Broadcast frames carry only what changed since the previous broadcast, so they apply only to a page holding exactly
that version. A viewer that is behind — its socket was backed up and it skipped frames (``results.consumers``), or it
reconnects holding an older version — gets a catch-up frame instead: every live part whole, ``"full": true``, built
from the public snapshot. It is the frame the broadcast would send to a viewer holding nothing, so the page's own
partials render it.

A process builds one per election, language and version, however many viewers need it: after a restart thousands of
reconnecting viewers ask for the same frame, and a burst leaves many slow viewers behind at once.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.utils import translation

from results.frames import language_frame
from results.hub import Utf8Text
from results.selectors import get_public_snapshot

# Catch-up frames kept per process: (election id, language) → the newest one built.
MAX_KEPT = 256


@dataclass(frozen=True)
class CatchUp:
    version: int
    text: Utf8Text


_built: dict[tuple[int, str], CatchUp] = {}
_locks: dict[tuple[int, str], asyncio.Lock] = {}


def build_catch_up(*, slug: str, language: str) -> CatchUp | None:
    """The catch-up frame of the public snapshot of ``slug`` in ``language``; None when its results are not public."""
    snapshot = get_public_snapshot(slug=slug)
    if snapshot is None:
        return None
    with translation.override(language):
        frame, _state = language_frame(snapshot, {})
    frame["full"] = True
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    return CatchUp(version=int(frame["version"]), text=Utf8Text(text))


async def catch_up_frame(
    *, election_id: int, slug: str, language: str, newer_than: int, at_least: int = 0
) -> CatchUp | None:
    """A catch-up frame of a version above ``newer_than`` (the viewer's) and, when the snapshot has one, at least
    ``at_least`` (the newest broadcast the viewer missed); None when there is none newer, or the results are no
    longer public. Viewers asking together share one build."""
    key = (election_id, language)
    wanted = max(newer_than + 1, at_least)
    kept = _built.get(key)
    if kept is not None and kept.version >= wanted:
        return kept
    if len(_locks) > MAX_KEPT:
        _locks.clear()
    async with _locks.setdefault(key, asyncio.Lock()):
        kept = _built.get(key)
        if kept is not None and kept.version >= wanted:
            return kept
        # Reading the snapshot may need the database, and rendering takes milliseconds: off the event loop.
        built = await database_sync_to_async(build_catch_up)(slug=slug, language=language)
        if built is None:
            return None
        if len(_built) > MAX_KEPT:
            _built.clear()
        if kept is None or built.version >= kept.version:
            _built[key] = built
        return built if built.version > newer_than else None


def forget_catch_ups() -> None:
    """Drop the frames this process built (tests start from what the cache holds)."""
    _built.clear()
    _locks.clear()
