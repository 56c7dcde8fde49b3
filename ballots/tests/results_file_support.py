"""The real county file the results-file tests enter, the election built from it, and the file's own sums computed
with nothing but the csv module, to compare the entered results with."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User

from ballots.results_files import EnteredFile, enter_results_file
from elections.models import Election
from elections.results_files import parse_results_file
from elections.services import open_election
from elections.services.structure import create_structure_from_results_file

MARTIN_FILE = Path(__file__).parent / "data" / "openelections" / "20201103__tx__general__martin__precinct.csv"
MARTIN = MARTIN_FILE.read_bytes()
TYPES = ("early_voting", "election_day", "absentee")
TURNOUT = {"Registered Voters", "Ballots Cast"}
UNDER, OVER = "Under Votes", "Over Votes"


def contest_label(office: str, district: str) -> str:
    """The name the structure gives a contest of the file ("U.S. House, District 11")."""
    return f"{office}, District {district}" if district else office


@dataclass
class FileSums:
    """Per contest name: each candidate's votes, and per vote type; undervotes, overvotes; precincts reporting."""

    votes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_type: dict[str, Counter[tuple[str, str]]] = field(default_factory=lambda: defaultdict(Counter))
    residuals: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    precincts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    ballots_cast: dict[str, int] = field(default_factory=dict)


def sums_of(data: bytes) -> FileSums:
    sums = FileSums()
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        if row["office"] == "Ballots Cast":
            sums.ballots_cast[row["precinct"]] = int(row["votes"])
        if row["office"] in TURNOUT:
            continue
        contest = contest_label(row["office"], row["district"])
        sums.precincts[contest].add(row["precinct"])
        if row["candidate"] in {UNDER, OVER}:
            sums.residuals[contest][row["candidate"]] += int(row["votes"])
            continue
        sums.votes[contest][row["candidate"]] += int(row["votes"])
        for vote_type in TYPES:
            sums.by_type[contest][(row["candidate"], vote_type)] += int(row[vote_type])
    return sums


def edited(data: bytes, old: str, new: str, *, count: int = -1) -> bytes:
    """The file with ``old`` replaced by ``new`` (``count`` times; every time by default)."""
    text = data.decode("utf-8")
    assert old in text, old
    return text.replace(old, new, count).encode("utf-8")


def build_martin(official: User, *, double_entry: bool = False, slug: str = "martin-2020") -> Election:
    """A draft election given its structure from the file, then opened."""
    election = Election.objects.create(
        name="Martin County 2020", slug=slug, date=dt.date(2020, 11, 3), double_entry=double_entry
    )
    create_structure_from_results_file(election=election, results=parse_results_file(MARTIN), actor=official)
    return open_election(election=Election.objects.get(pk=election.pk), actor=official)


def enter(election: Election, data: bytes, actor: User) -> EnteredFile:
    return enter_results_file(election=election, results=parse_results_file(data), actor=actor, file_name="martin.csv")
