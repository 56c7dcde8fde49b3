"""The Lower Vale regional demo: a small, made-up county election in the shape of a US precinct results night.

It sits beside the Riverland municipal demo to show the shapes real ballots take there: votes reported by vote type
(election day, early, by mail), undervotes and overvotes instead of blank and invalid ballots, a write-in line, a
ballot measure, a contest over precincts of two townships, names in English only, and precincts whose registered
voters are not known. Everything is fictional; no figure describes a real place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from elections import services
from elections.models import (
    Candidate,
    Contest,
    District,
    Election,
    ElectoralDistrict,
    Party,
    PollingStation,
    VoteType,
)
from elections.services import OPERATOR

REGIONAL_ELECTION_SLUG = "lower-vale-2026"
REGIONAL_ELECTION_NAME = "Lower Vale County General Election 2026"

# Townships, and their precincts' registered voters (None: the county published no figure for that precinct).
REGIONAL_TOWNSHIPS: tuple[tuple[str, str, tuple[int | None, ...]], ...] = (
    ("MILL", "Millbrook Township", (812, 1045, 930, None)),
    ("ASH", "Ashford Township", (655, 720, None)),
    ("CRK", "Creekside Township", (1190, 980, 1012, 874)),
)
REGIONAL_VOTE_TYPES = (
    ("election_day", "Election day", VoteType.NistType.ELECTION_DAY),
    ("early", "Early voting", VoteType.NistType.EARLY),
    ("mail", "By mail", VoteType.NistType.ABSENTEE_MAIL),
)
REGIONAL_PARTIES = (
    ("DEM", "Democratic", "#1F5FAD"),
    ("REP", "Republican", "#B8312F"),
    ("LIB", "Libertarian", "#8C6D00"),
)


@dataclass(frozen=True)
class RegionalContest:
    slug: str
    name: str
    candidates: tuple[tuple[str, str | None], ...]
    area: str | None = None
    kind: str = Contest.Kind.CANDIDATES
    threshold: Decimal | None = None
    write_in: bool = True


REGIONAL_CONTESTS = (
    RegionalContest(
        "county-executive",
        "County Executive",
        (("Dana Whitfield", "DEM"), ("Rob Castellano", "REP"), ("Ellen Park", "LIB")),
    ),
    RegionalContest(
        "state-house-41",
        "State House District 41",
        (("Marcus Greene", "DEM"), ("Lydia Moreau", "REP")),
        area="HD41",
    ),
    RegionalContest(
        "question-1",
        "Question 1: Parks and Trails Levy",
        (("Yes", None), ("No", None)),
        kind=Contest.Kind.MEASURE,
        write_in=False,
    ),
)


def create_regional_demo_election() -> Election:
    """Create the Lower Vale election (a draft, counted with tally sheets) through the configuration services."""
    election = services.create_election(
        election=Election(
            slug=REGIONAL_ELECTION_SLUG,
            name=REGIONAL_ELECTION_NAME,
            date=dt.date(2026, 11, 3),
            time_zone="America/Chicago",
            counting_method=Election.CountingMethod.TALLY_SHEETS,
            counts_blank_and_invalid=False,
            counts_undervotes_and_overvotes=True,
        ),
        actor=OPERATOR,
    )
    for position, (code, name, nist_type) in enumerate(REGIONAL_VOTE_TYPES, start=1):
        services.create_vote_type(
            vote_type=VoteType(election=election, code=code, name=name, nist_type=nist_type, position=position),
            actor=OPERATOR,
        )
    precincts: dict[str, list[PollingStation]] = {}
    for code, name, registered in REGIONAL_TOWNSHIPS:
        district = services.create_district(district=District(election=election, code=code, name=name), actor=OPERATOR)
        precincts[code] = [
            services.create_station(
                station=PollingStation(
                    election=election,
                    district=district,
                    code=f"{code}-P{number}",
                    name=f"{name.split()[0]} Precinct {number}",
                    registered_voters=voters,
                ),
                actor=OPERATOR,
            )
            for number, voters in enumerate(registered, start=1)
        ]
    # House District 41 takes all of Ashford and the first two Millbrook precincts.
    area = services.create_electoral_district(
        electoral_district=ElectoralDistrict(election=election, code="HD41", name="State House District 41"),
        districts=[],
        stations=[*precincts["ASH"], *precincts["MILL"][:2]],
        actor=OPERATOR,
    )
    parties = {
        abbreviation: services.create_party(
            party=Party(election=election, abbreviation=abbreviation, name=name, colour=colour), actor=OPERATOR
        )
        for abbreviation, name, colour in REGIONAL_PARTIES
    }
    for position, plan in enumerate(REGIONAL_CONTESTS, start=1):
        contest = services.create_contest(
            contest=Contest(
                election=election,
                slug=plan.slug,
                name=plan.name,
                kind=plan.kind,
                threshold=plan.threshold,
                electoral_district=area if plan.area else None,
                position=position,
            ),
            actor=OPERATOR,
        )
        names = [*plan.candidates, ("Write-in", None)] if plan.write_in else list(plan.candidates)
        for order, (name, party) in enumerate(names, start=1):
            services.create_candidate(
                candidate=Candidate(
                    contest=contest,
                    name_en=name,
                    party=parties[party] if party else None,
                    ballot_order=order,
                    is_write_in=name == "Write-in",
                ),
                actor=OPERATOR,
            )
    return election
