"""Finding a polling station by its code or name, in English or Arabic, among a public election's stations.

Names and what is typed are compared in one normal form: case folded, accents and Arabic diacritics (harakat,
tatweel) dropped, Arabic letter variants made one (أ إ آ ٱ → ا, ى → ي, ة → ه, ؤ → و, ئ → ي) and Arabic-Indic digits
made ASCII. The index is built from the snapshot's stations when they change, in each process, and searched by
prefix with a binary search, so a keystroke costs no query and a bounded amount of work, however many stations there
are.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from results.snapshot import Snapshot, SnapshotStation

# At most this many index entries are looked at per search, and this many stations listed.
MAX_SCANNED = 2000
MAX_QUERY_LENGTH = 100

_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ـ": None,  # tatweel, a stretch of the line
        **{chr(0x0660 + n): str(n) for n in range(10)},
        **{chr(0x06F0 + n): str(n) for n in range(10)},
    }
)
_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """``text`` in the form searches compare: folded case, no diacritics, one form of each Arabic letter, and no
    invisible formatting characters (direction marks and overrides, zero-width joiners)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    bare = "".join(
        char for char in decomposed if not unicodedata.combining(char) and unicodedata.category(char) != "Cf"
    )
    # Decomposing turns أ into ا plus a hamza mark, which is dropped above; fold the rest the same way.
    return unicodedata.normalize("NFKC", bare).translate(_LETTERS).casefold()


def _compact(code: str) -> str:
    """A code without its separators: "CG-01-1" is found by "cg011" too."""
    return "".join(_WORD.findall(code))


def _edge_trimmed(chunk: str) -> str:
    """A word without the punctuation around it ("school," → "school"); inner hyphens stay ("al-andalus")."""
    return re.sub(r"^\W+|\W+$", "", chunk)


def _words(text: str) -> set[str]:
    """The words of a normalised text, whole and in their parts, and Arabic words without their article (ال), so
    "مدرسة" finds "المدرسة"."""
    words: set[str] = set()
    for chunk in text.split():
        words.add(_edge_trimmed(chunk))
        words.update(_WORD.findall(chunk))
    words.update(word[2:] for word in list(words) if word.startswith("ال") and len(word) > 3)
    words.discard("")
    return words


def station_tokens(station: Mapping[str, Any]) -> set[str]:
    """What a station is found by: its code (whole, without separators and in its parts) and each word of its
    names in both languages."""
    code = normalise(str(station["code"]))
    tokens = {code, _compact(code), *_words(code)}
    for name in (station.get("name", ""), station.get("name_ar", "")):
        tokens.update(_words(normalise(str(name or ""))))
    tokens.discard("")
    return tokens


def station_search_text(station: Mapping[str, Any]) -> str:
    """A station's code and names in normal form, one string for the table filter to look in."""
    parts = [station["code"], _compact(str(station["code"])), station.get("name", ""), station.get("name_ar", "")]
    return normalise(" ".join(str(part) for part in parts if part))


def query_words(query: str) -> list[str]:
    """The words of what was typed, in normal form, without the punctuation around them."""
    words = (_edge_trimmed(chunk) for chunk in normalise(query[:MAX_QUERY_LENGTH]).split())
    return [word for word in words if word]


@dataclass(frozen=True)
class StationIndex:
    """A snapshot's stations and their tokens, sorted for a search by prefix."""

    stations: list[SnapshotStation]
    codes: dict[str, int]
    entries: list[tuple[str, int]]
    tokens: list[frozenset[str]]


def build_station_index(snapshot: Snapshot) -> StationIndex:
    stations = list(snapshot["stations"])
    tokens = [frozenset(station_tokens(station)) for station in stations]
    entries = sorted((token, position) for position, found in enumerate(tokens) for token in found)
    codes: dict[str, int] = {}
    for position, station in enumerate(stations):
        code = normalise(station["code"])
        codes[code] = position
        codes.setdefault(_compact(code), position)
    return StationIndex(stations, codes, entries, tokens)


def _fingerprint(stations: list[SnapshotStation]) -> tuple[tuple[Any, ...], ...]:
    """What the index is built from: a new version with the same stations (most versions) reuses its index."""
    return tuple((s["id"], s["code"], s["name"], s["name_ar"], s["district_id"]) for s in stations)


@dataclass
class _Remembered:
    source: list[SnapshotStation]
    fingerprint: tuple[tuple[Any, ...], ...]
    index: StationIndex


_indexes: dict[str, _Remembered] = {}
MAX_INDEXES = 64


def station_index(snapshot: Snapshot) -> StationIndex:
    """The index of ``snapshot``'s stations, built in this process when its stations change. The snapshot a reader
    gets is the same object until the next version; a version whose stations are unchanged keeps the index."""
    slug = str(snapshot["election"]["slug"])
    stations = snapshot["stations"]
    remembered = _indexes.get(slug)
    if remembered is not None and remembered.source is stations:
        return remembered.index
    fingerprint = _fingerprint(stations)
    if remembered is not None and remembered.fingerprint == fingerprint:
        remembered.source = stations
        return remembered.index
    if len(_indexes) >= MAX_INDEXES:
        _indexes.clear()
    index = build_station_index(snapshot)
    _indexes[slug] = _Remembered(stations, fingerprint, index)
    return index


@dataclass(frozen=True)
class StationMatches:
    """What a search found: the stations (at most the limit asked for), the one whose code was typed whole, if any,
    and whether more stations match than are listed."""

    stations: list[SnapshotStation]
    exact: SnapshotStation | None
    more: bool


def _prefixed(index: StationIndex, word: str) -> tuple[set[int], bool]:
    """The stations with a token starting with ``word``, and whether the scan stopped at its bound."""
    found: set[int] = set()
    start = bisect.bisect_left(index.entries, (word, -1))
    for token, position in index.entries[start : start + MAX_SCANNED]:
        if not token.startswith(word):
            return found, False
        found.add(position)
    return found, start + MAX_SCANNED < len(index.entries) and index.entries[start + MAX_SCANNED][0].startswith(word)


def find_stations(snapshot: Snapshot, query: str, *, limit: int) -> StationMatches:
    """The stations whose code or names start with every word of ``query`` (in either language), the one with that
    exact code first, then in the order of their codes."""
    words = query_words(query)
    if not words:
        return StationMatches([], None, False)
    index = station_index(snapshot)
    whole = " ".join(words)
    exact_position = index.codes.get(whole, index.codes.get(_compact(whole)))
    # The longest word narrows the search most; the others must start a token of each station found.
    first = max(words, key=len)
    positions, cut = _prefixed(index, first)
    rest = [word for word in words if word != first]
    matching = sorted(
        position
        for position in positions
        if all(any(token.startswith(word) for token in index.tokens[position]) for word in rest)
    )
    if exact_position is not None:
        matching = [exact_position, *(p for p in matching if p != exact_position)]
    exact = index.stations[exact_position] if exact_position is not None else None
    return StationMatches([index.stations[p] for p in matching[:limit]], exact, cut or len(matching) > limit)
