"""A small election in the shapes real ballots take, built for the page tests of entry and results: votes by type
(election day, by mail), undervotes and overvotes instead of blank and invalid ballots, a write-in line, a ballot
measure, a contest over an electoral district that crosses two districts, and a station whose registered voters are
unknown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User

from ballots.services import submit_tally_sheet
from elections.models import (
    Candidate,
    ClerkAssignment,
    Contest,
    District,
    Election,
    ElectoralDistrict,
    Party,
    PollingStation,
    VoteType,
)
from elections.services import open_election

VOTE_TYPES = (("day", "Election day", "election-day"), ("mail", "By mail", "absentee-mail"))


@dataclass(frozen=True)
class Shapes:
    election: Election
    known: PollingStation  # MILL-P1, 800 registered voters, in the electoral district
    unknown: PollingStation  # MILL-P2, registered voters unknown
    across: PollingStation  # ASH-P1, 600 registered voters, in the other district and the electoral district
    executive: Contest  # whole election: two party candidates and a write-in line
    house: Contest  # over the electoral district "State House District 41"
    measure: Contest  # "Question 1: Parks Levy", Yes and No
    clerk: User  # assigned to MILL-P1


def build_shapes(*, official: User, threshold: Decimal | None = None, write_in: str = "Write-in") -> Shapes:
    """Create and open the election; ``threshold`` is the measure's (None: more than half), ``write_in`` the name of
    the executive's write-in line."""
    election = Election.objects.create(
        name="Lower Vale 2026",
        slug="lower-vale-2026",
        date=dt.date(2026, 11, 3),
        time_zone="America/Chicago",
        counts_blank_and_invalid=False,
        counts_undervotes_and_overvotes=True,
    )
    for position, (code, name, nist_type) in enumerate(VOTE_TYPES, start=1):
        VoteType.objects.create(election=election, code=code, name=name, nist_type=nist_type, position=position)
    mill = District.objects.create(election=election, code="MILL", name="Millbrook")
    ash = District.objects.create(election=election, code="ASH", name="Ashford")
    known = PollingStation.objects.create(
        election=election, district=mill, code="MILL-P1", name="Millbrook Precinct 1", registered_voters=800
    )
    unknown = PollingStation.objects.create(
        election=election, district=mill, code="MILL-P2", name="Millbrook Precinct 2", registered_voters=None
    )
    across = PollingStation.objects.create(
        election=election, district=ash, code="ASH-P1", name="Ashford Precinct 1", registered_voters=600
    )
    area = ElectoralDistrict.objects.create(election=election, code="HD41", name="State House District 41")
    area.stations.add(known, across)
    dem = Party.objects.create(election=election, name="Democratic", abbreviation="DEM", colour="#1F5FAD")
    rep = Party.objects.create(election=election, name="Republican", abbreviation="REP", colour="#B8312F")
    executive = Contest.objects.create(election=election, name="County Executive", slug="county-executive", position=1)
    Candidate.objects.create(contest=executive, name_en="Dana Whitfield", party=dem, ballot_order=1)
    Candidate.objects.create(contest=executive, name_en="Rob Castellano", party=rep, ballot_order=2)
    Candidate.objects.create(contest=executive, name_en=write_in, ballot_order=3, is_write_in=True)
    house = Contest.objects.create(
        election=election, name="State House 41", slug="state-house-41", electoral_district=area, position=2
    )
    Candidate.objects.create(contest=house, name_en="Marcus Greene", party=dem, ballot_order=1)
    Candidate.objects.create(contest=house, name_en="Lydia Moreau", party=rep, ballot_order=2)
    measure = Contest.objects.create(
        election=election,
        name="Question 1: Parks Levy",
        slug="question-1",
        kind=Contest.Kind.MEASURE,
        threshold=threshold,
        position=3,
    )
    Candidate.objects.create(contest=measure, name_en="Yes", name_ar="نعم", ballot_order=1)
    Candidate.objects.create(contest=measure, name_en="No", name_ar="لا", ballot_order=2)
    clerk = User.objects.create_user(username="vale-clerk", password="correct-horse-battery")
    clerk.groups.add(Group.objects.get(name="Clerks"))
    ClerkAssignment.objects.create(user=clerk, station=known)
    election = open_election(election=election, actor=official)
    return Shapes(election, known, unknown, across, executive, house, measure, clerk)


def enter_typed_sheet(
    *,
    station: PollingStation,
    contest: Contest,
    actor: User,
    key: str,
    by_type: list[tuple[int, int]],
    undervotes: int = 0,
    overvotes: int = 0,
) -> None:
    """Enter an accepted sheet whose votes are given per candidate in ballot order as (election day, by mail)."""
    candidates = list(contest.candidates.order_by("ballot_order").values_list("pk", flat=True))
    votes_by_type = {
        cid: dict(zip(("day", "mail"), split, strict=True)) for cid, split in zip(candidates, by_type, strict=True)
    }
    submit_tally_sheet(
        station=station,
        contest=contest,
        ballots_cast=sum(map(sum, by_type)) + undervotes + overvotes,
        blank=0,
        invalid=0,
        votes=None,
        votes_by_type=votes_by_type,
        undervotes=undervotes,
        overvotes=overvotes,
        actor=actor,
        idempotency_key=key,
    )
