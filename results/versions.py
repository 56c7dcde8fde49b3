"""Published snapshot versions kept under their own keys, so each can be served at an immutable address.

The cache holds only the newest snapshot under ``results:snapshot:<slug>``. A CDN in front of the site needs more:
an address whose answer never changes, so it may keep it for a year. The recount that numbers a public version
(``services.store_snapshot``) also writes its JSON text, once, into one of ``KEPT_VERSIONS`` slots per election
(``version % KEPT_VERSIONS``): memory stays bounded however long the night, and older versions fall out as newer ones
take their slot. Nothing else ever writes a slot, so a version's text is the same bytes on every request and every
node for as long as it is kept.

A snapshot rebuilt after the cache lost it (``rebuild_snapshot``) is never kept: it carries the same number as the
one counted before, but not necessarily the same bytes (the time it was counted, the audit head, a commit whose
refresh is still to come). Such a version is answered as no longer kept, and a new version is counted instead.
This is derived data like the rest of the cache: losing it costs readers one fetch of the newest version.
"""

from __future__ import annotations

import hashlib
import json
from typing import NamedTuple

from django.core.cache import cache

from results.snapshot import Snapshot

# Versions kept per election. Recounts are coalesced to a few per second at most, so these cover well over the
# "latest version" pointer's lifetime in any cache, and many minutes on a quiet night.
KEPT_VERSIONS = 64
# A day: an election nobody updates any more still answers its last versions through the night and the day after.
KEPT_TIMEOUT = 24 * 3600


class KeptVersion(NamedTuple):
    """A public snapshot version as it is served: its JSON text and a strong ETag derived from those bytes."""

    version: int
    text: str
    etag: str


def kept_key(slug: str, version: int) -> str:
    """The slot of ``version``: shared with the versions ``KEPT_VERSIONS`` apart, so a slot holds the newest of them."""
    return f"results:kept:{slug}:{version % KEPT_VERSIONS}"


def encode_snapshot(snapshot: Snapshot) -> str:
    """The snapshot as the API sends it (``selectors.snapshot_json`` encodes the current one the same way)."""
    return json.dumps(snapshot, ensure_ascii=False)


def strong_etag(version: int, text: str) -> str:
    """An ETag for exactly these bytes: the version, and a digest of the text."""
    digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return f'"{version}-{digest}"'


def keep_version(snapshot: Snapshot) -> None:
    """Keep a just-numbered public snapshot under its version's slot. Called only by the recount that numbered it,
    under the election's version lock, so the slot's text for this version is written once."""
    version = int(snapshot["version"])
    text = encode_snapshot(snapshot)
    kept = KeptVersion(version=version, text=text, etag=strong_etag(version, text))
    cache.set(kept_key(str(snapshot["election"]["slug"]), version), tuple(kept), KEPT_TIMEOUT)


def read_kept_version(*, slug: str, version: int) -> KeptVersion | None:
    """The kept text of ``slug``'s ``version``, or None when it was never kept or its slot holds another version."""
    found = cache.get(kept_key(slug, version))
    if not isinstance(found, (tuple, list)) or len(found) != len(KeptVersion._fields):
        return None
    kept = KeptVersion(*found)
    return kept if kept.version == version else None
