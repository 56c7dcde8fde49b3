"""Each candidate of a contest has a colour of their own: a party's candidates shades of its hue, independents apart,
every colour readable (3:1) against the page and the bars' track, and none depending on votes."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from hypothesis import given, settings
from hypothesis import strategies as st

from elections.models import Candidate, Contest, Election, Party, PollingStation
from results.colours import (
    BACKGROUNDS,
    DISTINCT,
    GREY_CHROMA,
    MIN_CONTRAST,
    Entrant,
    contest_colours,
    contrast,
    distance,
    oklch,
)
from results.presentation import Lookup
from results.services import rebuild_snapshot
from results.tests.support import enter_sheet

# The demo's party colours (Okabe–Ito and two darker tones), one of them pink enough to need darkening.
GREEN, ORANGE, BLUE, PINK, OCHRE, GREY = "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#8C6D00", "#4D4D4D"


def hue_gap(first: str, second: str) -> float:
    gap = abs(oklch(first).hue - oklch(second).hue) % 360
    return min(gap, 360 - gap)


def council() -> tuple[Entrant, ...]:
    """Twelve candidates as a council list has them: four of one party, two of another, five more parties, two
    independents and a write-in."""
    parties = [BLUE, BLUE, ORANGE, BLUE, GREEN, PINK, BLUE, OCHRE, GREY, ORANGE, None, None, None]
    return tuple(
        Entrant(order, order, colour, write_in=order == len(parties)) for order, colour in enumerate(parties, start=1)
    )


def test_every_candidate_of_a_contest_has_a_colour_of_their_own() -> None:
    colours = contest_colours(council(), write_in_colour="#5c6675")
    assert len(set(colours.values())) == len(colours) == 13
    for first, second in itertools.combinations(colours.values(), 2):
        assert distance(first, second) >= DISTINCT, (first, second)


def test_a_partys_candidates_share_its_hue_and_the_first_keeps_the_party_colour() -> None:
    entrants = council()
    colours = contest_colours(entrants, write_in_colour="#5c6675")
    assert colours[1] == BLUE.lower()
    assert colours[3] == ORANGE.lower()
    for entrant in entrants:
        if entrant.party_colour is None:
            continue
        if oklch(entrant.party_colour).chroma < GREY_CHROMA:
            assert oklch(colours[entrant.id]).chroma < 0.06
        else:
            assert hue_gap(colours[entrant.id], entrant.party_colour) <= 35, entrant
    # Blue's four candidates: four shades, told apart.
    blues = [colours[n] for n in (1, 2, 4, 7)]
    assert len(set(blues)) == 4


def test_every_colour_keeps_three_to_one_against_the_page_and_the_bars_track() -> None:
    colours = contest_colours(council(), write_in_colour="#5c6675")
    for colour in colours.values():
        for background in BACKGROUNDS:
            assert contrast(colour, background) >= MIN_CONTRAST, (colour, background)
    # The pink party colour falls short on the bars' track: it is darkened, keeping its hue.
    assert contrast(PINK, "#f4f6f9") < MIN_CONTRAST
    assert colours[6] != PINK.lower()
    assert hue_gap(colours[6], PINK) < 2


def test_colours_follow_ballot_order_not_the_order_candidates_come_in() -> None:
    entrants = council()
    assert contest_colours(entrants, write_in_colour="#5c6675") == contest_colours(
        tuple(reversed(entrants)), write_in_colour="#5c6675"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.from_regex(r"#[0-9a-f]{6}", fullmatch=True)), min_size=1, max_size=8).map(
        lambda parties: tuple(Entrant(n, n, colour, False) for n, colour in enumerate(parties, start=1))
    )
)
def test_any_party_colours_give_readable_distinct_colours(entrants: tuple[Entrant, ...]) -> None:
    colours = contest_colours(entrants, write_in_colour="#5c6675")
    assert set(colours) == {entrant.id for entrant in entrants}
    for colour in colours.values():
        assert all(contrast(colour, background) >= MIN_CONTRAST for background in BACKGROUNDS), colour
    for first, second in itertools.combinations(colours.values(), 2):
        assert distance(first, second) >= DISTINCT, (first, second)


@pytest.mark.django_db
def test_three_council_candidates_of_one_party_are_told_apart_on_the_page_and_the_map(
    published: Election,
    station: PollingStation,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    client,
) -> None:
    green = Party.objects.get(election=published, abbreviation="GL")
    contest = Contest.objects.create(election=published, name="Council", slug="council", seats=3, max_choices=3)
    for order, name in enumerate(["Rana", "Sami", "Tala", "Walid"], start=1):
        Candidate.objects.create(contest=contest, name_en=name, ballot_order=order, party=green if order < 4 else None)
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[90, 80, 70, 60], key=new_key())
    snapshot = rebuild_snapshot(election=published)
    lookup = Lookup(snapshot)
    row = next(c for c in snapshot["contests"] if c["slug"] == "council")
    colours = [lookup.candidate_colour(candidate) for candidate in row["candidates"]]
    assert colours[0] == green.colour.lower()
    assert len(set(colours)) == 4
    html = client.get(f"/results/{published.slug}/contest/council/").content.decode()
    for colour in colours:
        assert f"background-color: {colour}" in html
