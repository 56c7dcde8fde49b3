"""A colour for each candidate of a contest, told apart from the others on bars, tables and maps.

A party's first candidate in a contest (by ballot order) takes the party's colour; its second, third… take shades of
the same hue, alternately darker and lighter (then with the hue turned a little either way when the lightness runs
out), so that a reader sees at once which party they belong to and which of its candidates is which. Independents
and write-ins take colours of their own, far from every colour already given in the contest. Every colour keeps at
least 3:1 contrast against the page and the bars' track (WCAG 2.2, 1.4.11): a party colour that is too light is
darkened, keeping its hue. Work is done in OKLab (Björn Ottosson, 2020), where equal steps look equal.

Colours depend only on the contest's candidates and parties, never on votes, so they never change during a count.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from results.snapshot import SnapshotCandidate

# What candidate colours are drawn on: the page, and the bars' track and the map's ground (--colour-surface).
BACKGROUNDS = ("#ffffff", "#f4f6f9")
MIN_CONTRAST = 3.0
# Shades darker than this run together with each other and with the text.
MIN_LIGHTNESS = 0.34
# Steps between shades of one party, in OKLab lightness and in hue (degrees); a turned shade is at least
# TURN_CHROMA colourful, so that the turns of a muted colour still look apart.
LIGHTNESS_STEP = 0.085
HUE_STEP = 35.0
TURN_CHROMA = 0.12
# Below this OKLab distance two colours of one contest count as the same to a reader.
DISTINCT = 0.07
# Below this chroma a colour is grey: its shades are greys, then greys tinted by GREY_TINT (cool, then warm).
GREY_CHROMA = 0.025
GREY_TINT = 0.06
# Independents: purple, brown, dark cyan, olive, magenta, indigo, dark orange, slate; each 3:1 against the surface.
INDEPENDENT_PALETTE = (
    "#6a3d9a",
    "#8c564b",
    "#00727d",
    "#6b6b00",
    "#b0287a",
    "#393b79",
    "#a14800",
    "#44546a",
)


class Oklch(NamedTuple):
    lightness: float
    chroma: float
    hue: float  # degrees


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _gamma(channel: float) -> float:
    return 12.92 * channel if channel <= 0.0031308 else 1.055 * channel ** (1 / 2.4) - 0.055


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    r, g, b = (_linear(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours, 1 to 21."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@functools.lru_cache(maxsize=4096)
def _oklab(hex_colour: str) -> tuple[float, float, float]:
    r, g, b = (_linear(c) for c in _rgb(hex_colour))
    lms = (
        0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b,
        0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b,
        0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b,
    )
    l_, m_, s_ = (math.copysign(abs(v) ** (1 / 3), v) for v in lms)
    return (
        0.2104542553 * l_ + 0.7936177850 * m_ - 0.0040720468 * s_,
        1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_,
        0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_,
    )


def oklch(hex_colour: str) -> Oklch:
    lightness, a, b = _oklab(hex_colour)
    return Oklch(lightness, math.hypot(a, b), math.degrees(math.atan2(b, a)) % 360)


def _linear_rgb(colour: Oklch) -> tuple[float, float, float]:
    a = colour.chroma * math.cos(math.radians(colour.hue))
    b = colour.chroma * math.sin(math.radians(colour.hue))
    l_ = colour.lightness + 0.3963377774 * a + 0.2158037573 * b
    m_ = colour.lightness - 0.1055613458 * a - 0.0638541728 * b
    s_ = colour.lightness - 0.0894841775 * a - 1.2914855480 * b
    lms = (l_**3, m_**3, s_**3)
    return (
        4.0767416621 * lms[0] - 3.3077115913 * lms[1] + 0.2309699292 * lms[2],
        -1.2684380046 * lms[0] + 2.6097574011 * lms[1] - 0.3413193965 * lms[2],
        -0.0041960863 * lms[0] - 0.7034186147 * lms[1] + 1.7076147010 * lms[2],
    )


def _in_gamut(rgb: Iterable[float]) -> bool:
    return all(-1e-6 <= c <= 1 + 1e-6 for c in rgb)


def _highest_passing(high: float, passes: Callable[[float], bool]) -> float:
    """The highest value in [0, ``high``] that ``passes`` (which holds below some bound and fails above it), to 24
    halvings; 0 when nothing above it passes."""
    low = 0.0
    for _ in range(24):
        middle = (low + high) / 2
        if passes(middle):
            low = middle
        else:
            high = middle
    return low


def to_hex(colour: Oklch) -> str:
    """``colour`` as ``#rrggbb``; outside what a screen shows, its chroma is reduced until it fits (hue and lightness
    kept)."""
    if not _in_gamut(_linear_rgb(colour)):
        chroma = _highest_passing(colour.chroma, lambda c: _in_gamut(_linear_rgb(colour._replace(chroma=c))))
        colour = colour._replace(chroma=chroma)
    channels = (min(max(_gamma(min(max(c, 0.0), 1.0)), 0.0), 1.0) for c in _linear_rgb(colour))
    return "#" + "".join(f"{round(c * 255):02x}" for c in channels)


def readable(hex_colour: str) -> bool:
    """Whether ``hex_colour`` keeps 3:1 contrast against every background candidate colours are drawn on."""
    return all(contrast(hex_colour, background) >= MIN_CONTRAST for background in BACKGROUNDS)


@functools.lru_cache(maxsize=1024)
def darkened_to_contrast(hex_colour: str) -> str:
    """``hex_colour`` itself when readable, else the lightest colour of its hue and chroma that is."""
    if readable(hex_colour):
        return hex_colour.lower()
    colour = oklch(hex_colour)
    lightness = _highest_passing(colour.lightness, lambda x: readable(to_hex(colour._replace(lightness=x))))
    return to_hex(colour._replace(lightness=lightness))


def distance(first: str, second: str) -> float:
    """How far apart two colours look: Euclidean distance in OKLab (0 for the same colour, about 1 from black to
    white)."""
    return math.dist(_oklab(first), _oklab(second))


@functools.lru_cache(maxsize=1024)
def _lightest_readable(colour: Oklch) -> float:
    low, high = 0.0, 1.0
    for _ in range(20):
        middle = (low + high) / 2
        if readable(to_hex(colour._replace(lightness=middle))):
            low = middle
        else:
            high = middle
    return low


@functools.lru_cache(maxsize=512)
def shades_of(base: str) -> tuple[str, ...]:
    """Shades of ``base`` (already readable) for a party's 2nd, 3rd… candidate, in the order they are given:
    lightness steps alternately darker and lighter within the readable range; then, with the hue turned one step
    either way (a grey: tinted a little cool, then warm), the lightnesses half a step between those; then everything
    again at half the step."""
    start = oklch(base)
    if start.chroma < GREY_CHROMA:
        # A grey has no hue to turn: its further shades are greys tinted a little cool, then a little warm.
        variants = [start, start._replace(chroma=GREY_TINT, hue=250.0), start._replace(chroma=GREY_TINT, hue=70.0)]
    else:
        turned = start._replace(chroma=max(start.chroma, TURN_CHROMA))
        variants = [start, *(turned._replace(hue=(start.hue + turn) % 360) for turn in (-HUE_STEP, HUE_STEP))]
    found: list[str] = []
    for step in (LIGHTNESS_STEP, LIGHTNESS_STEP / 2):
        for index, variant in enumerate(variants):
            top = _lightest_readable(variant)
            shift = step / 2 if index else 0.0
            offsets = [shift, shift - step] if index else []
            for n in range(1, 12):
                offsets += [-n * step - shift, n * step + shift] if index else [-n * step, n * step]
            for offset in offsets:
                lightness = start.lightness + offset
                if MIN_LIGHTNESS <= lightness <= top:
                    shade = darkened_to_contrast(to_hex(variant._replace(lightness=lightness)))
                    if shade != base and shade not in found:
                        found.append(shade)
    return tuple(found)


@functools.lru_cache(maxsize=1)
def independent_colours() -> tuple[str, ...]:
    """The independents' palette, then hues a golden angle apart for a contest with more independents than that."""
    more = [darkened_to_contrast(to_hex(Oklch(0.5, 0.12, (15.0 + 137.508 * n) % 360))) for n in range(32)]
    return (*INDEPENDENT_PALETTE, *more)


def _first_distinct(options: Iterable[str], taken: Sequence[str]) -> str | None:
    """The first of ``options`` far enough from every colour ``taken``; the farthest when none is (so a contest of
    very many candidates still gets a colour)."""
    best, best_gap = None, -1.0
    for option in options:
        gap = min((distance(option, other) for other in taken), default=math.inf)
        if gap >= DISTINCT:
            return option
        if gap > best_gap:
            best, best_gap = option, gap
    return best


class Entrant(NamedTuple):
    """A candidate as colouring sees them: id, ballot order, party colour (None for no party), and whether they are
    a write-in."""

    id: int
    ballot_order: int
    party_colour: str | None
    write_in: bool


@functools.lru_cache(maxsize=2048)
def contest_colours(entrants: tuple[Entrant, ...], *, write_in_colour: str) -> Mapping[int, str]:
    """A distinct colour for each candidate of one contest (see the module's docstring), by candidate id.

    Parties are served in the ballot order of their first candidate, and each party's candidates in ballot order: a
    party's first candidate takes its colour (darkened if needed), the others its shades; independents and
    write-ins come last. Each candidate gets the first of their options at least ``DISTINCT`` from every colour
    given before (so a party whose colour is almost another's, served earlier, starts with a shade of its own);
    parties that share one colour are served as one party.
    """
    ordered = sorted(entrants, key=lambda e: e.ballot_order)
    by_party: dict[str, list[Entrant]] = {}
    others: list[Entrant] = []
    for entrant in ordered:
        if entrant.party_colour is None:
            others.append(entrant)
        else:
            by_party.setdefault(entrant.party_colour.lower(), []).append(entrant)
    colours: dict[int, str] = {}
    taken: list[str] = []
    options: Iterable[str]
    for party, members in by_party.items():
        base = darkened_to_contrast(party)
        for index, entrant in enumerate(members):
            # The party's colour itself first, unless a party served before has (almost) the same one.
            options = itertools.chain([base], shades_of(base)) if index == 0 else shades_of(base)
            shade = _first_distinct(options, taken) or base
            colours[entrant.id] = shade
            taken.append(shade)
    for entrant in others:
        options = independent_colours()
        if entrant.write_in:
            options = itertools.chain([darkened_to_contrast(write_in_colour)], independent_colours())
        colour = _first_distinct(options, taken) or INDEPENDENT_PALETTE[0]
        colours[entrant.id] = colour
        taken.append(colour)
    return MappingProxyType(colours)


def entrants_of(candidates: Iterable[SnapshotCandidate], party_colours: Mapping[int, str]) -> tuple[Entrant, ...]:
    """A contest's snapshot candidates as ``Entrant`` s, each with their party's colour."""
    return tuple(
        Entrant(
            c["id"],
            c["ballot_order"],
            party_colours.get(c["party_id"]) if c["party_id"] is not None else None,
            c["is_write_in"],
        )
        for c in candidates
    )
