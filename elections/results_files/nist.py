"""NIST SP 1500-100 V2 (Election Results Common Data Format) JSON: an ``ElectionReport`` whose ``Election`` holds
``Contest``s, each with ``ContestSelection``s whose ``VoteCounts`` give a count per reporting unit (``GpUnitId``) and
count ``Type`` ("total", "election-day", "early" … or "other" with its ``OtherType``), and ``OtherCounts`` with the
unit's undervotes and overvotes.

The counts of units that are made of others (a county, the election) are totals, left out; those of the other
units (precincts, polling places) are the stations' results. A unit's ballots cast come from the election's
``BallotCounts`` or its ``VotersParticipated``, its registered voters from ``VotersRegistered``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from elections.results_files import labels
from elections.results_files.assembly import Assembler
from elections.results_files.cells import RowPlace, parse_count
from elections.results_files.model import (
    KIND_MEASURE,
    NIST,
    Problem,
    ResultsFile,
    ResultsFileRefused,
)
from elections.results_files.nist_parts import (
    Units,
    as_list,
    sequence_order,
    text_of,
    type_name,
    vote_type_code,
    vote_types_of,
)
from elections.results_files.openelections import decode

MEASURE_TYPES = ("BallotMeasureContest", "RetentionContest")
UNSUPPORTED = ("PartyContest",)


def _load(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report and its one election; refused when it is not JSON or not an election report."""
    try:
        report = json.loads(decode(data))
    except json.JSONDecodeError as error:
        raise ResultsFileRefused(
            [Problem(_("The file is not valid JSON: %(error)s") % {"error": error.msg}, line=error.lineno)]
        ) from None
    elections = as_list(report.get("Election")) if isinstance(report, dict) else []
    if not isinstance(report, dict) or type_name(report) != "ElectionReport":
        raise ResultsFileRefused([Problem(_("This is not a NIST election report (ElectionResults.ElectionReport)."))])
    if len(elections) != 1 or not isinstance(elections[0], dict):
        raise ResultsFileRefused(
            [Problem(_("The report must hold exactly one Election; it holds %(count)d.") % {"count": len(elections)})]
        )
    return report, elections[0]


class NistReader:
    """Feeds the report's counts to an ``Assembler`` as rows, one per selection and unit."""

    def __init__(self, report: dict[str, Any], election: dict[str, Any], sha256: str) -> None:
        self.election = election
        self.units = Units(report, str(election.get("ElectionScopeId", "")))
        self.parties = {
            str(p.get("@id")): text_of(p.get("Abbreviation")) or text_of(p.get("Name"))
            for p in as_list(report.get("Party"))
            if isinstance(p, Mapping)
        }
        self.candidates = {str(c.get("@id")): c for c in as_list(election.get("Candidate")) if isinstance(c, Mapping)}
        self.vote_types = vote_types_of(election)
        self.assembler = Assembler(format=NIST, sha256=sha256, vote_types=self.vote_types)
        self.skipped_units: set[str] = set()

    def read(self) -> ResultsFile:
        for index, contest in enumerate(as_list(self.election.get("Contest"))):
            if isinstance(contest, Mapping):
                self._read_contest(index, contest)
        self._read_stations()
        if self.skipped_units:
            self.assembler.results.notes.append(
                _("Counts of %(count)d units that group others (totals) were left out.")
                % {"count": len(self.skipped_units)}
            )
        return self.assembler.finish()

    def _station(self, unit_id: str) -> tuple[str, str]:
        """The (county, precinct) names of a station's unit."""
        parent = self.units.parent.get(unit_id)
        return (self.units.name(parent) if parent else "", self.units.name(unit_id))

    def _read_contest(self, index: int, contest: Mapping[str, Any]) -> None:
        name = labels.clean(str(contest.get("Name", "")))
        place = RowPlace(where=_("Contest %(index)d “%(name)s”") % {"index": index + 1, "name": name})
        kind = type_name(contest)
        if kind in UNSUPPORTED or not name:
            message = _("This kind of contest (%(kind)s) cannot be imported.") % {"kind": kind}
            self.assembler.refuse(place.problem(message if name else _("This contest has no Name."), "Name"))
            return
        if name in {c.office for c in self.assembler.results.contests.values()}:
            self.assembler.refuse(place.problem(_("Another contest has the same name."), "Name"))
            return
        file_contest = self.assembler.contest(office=name, district="", place=place)
        if kind in MEASURE_TYPES:
            file_contest.kind = KIND_MEASURE
            self.assembler.kind_given.add(file_contest.key)
        elif isinstance(contest.get("VotesAllowed"), int) and contest["VotesAllowed"] >= 1:
            file_contest.max_choices = contest["VotesAllowed"]
        selections = [s for s in as_list(contest.get("ContestSelection")) if isinstance(s, Mapping)]
        selections.sort(key=sequence_order)
        for number, selection in enumerate(selections, start=1):
            self._read_selection(name, number, selection)
        self._read_other_counts(name, place, contest)

    def _choice(self, selection: Mapping[str, Any], place: RowPlace) -> tuple[str, str] | None:
        """A selection's name and party."""
        if type_name(selection) == "BallotMeasureSelection":
            return text_of(selection.get("Selection")), ""
        if type_name(selection) != "CandidateSelection":
            self.assembler.refuse(place.problem(_("Only candidate and ballot measure selections can be imported.")))
            return None
        people = [self.candidates.get(str(c)) for c in as_list(selection.get("CandidateIds"))]
        if any(person is None for person in people):
            self.assembler.refuse(
                place.problem(_("This selection names a candidate the report does not have."), "CandidateIds")
            )
            return None
        names = [text_of(person.get("BallotName")) for person in people if person is not None]
        party = next((self.parties.get(str(p.get("PartyId")), "") for p in people if p and p.get("PartyId")), "")
        if not names and selection.get("IsWriteIn"):
            names = ["Write-in"]
        if not any(names):
            self.assembler.refuse(place.problem(_("This selection names no candidate."), "CandidateIds"))
            return None
        return " / ".join(names), party

    def _read_selection(self, contest: str, number: int, selection: Mapping[str, Any]) -> None:
        where = _("Contest “%(contest)s”, selection %(number)d") % {"contest": contest, "number": number}
        choice = self._choice(selection, RowPlace(where=where))
        if choice is None:
            return
        name, party = choice
        counts: dict[str, dict[str, int]] = {}
        for position, count in enumerate(as_list(selection.get("VoteCounts"))):
            place = RowPlace(where=f"{where}, VoteCounts {position + 1}")
            unit = str(count.get("GpUnitId", "")) if isinstance(count, Mapping) else ""
            if not self.units.is_station(unit):
                self.skipped_units.add(unit)
                continue
            value = parse_count(count.get("Count"), place=place, column="Count", problems=self.assembler.problems)
            code = labels.safe_code(vote_type_code(count), limit=32) if vote_type_code(count) != "total" else "total"
            if value is not None and code in counts.setdefault(unit, {}):
                self.assembler.refuse(place.problem(_("This unit's count of this type is given twice."), "Type"))
            elif value is not None:
                counts[unit][code] = value
        for unit, by_code in counts.items():
            self._add_votes(contest, name, party, unit, by_code, RowPlace(where=f"{where}, {self.units.name(unit)}"))

    def _add_votes(
        self, contest: str, name: str, party: str, unit: str, by_code: dict[str, int], place: RowPlace
    ) -> None:
        typed = {code: n for code, n in by_code.items() if code != "total"}
        total = by_code.get("total", sum(typed.values()))
        if typed and total != sum(typed.values()):
            self.assembler.refuse(
                place.problem(
                    _("The total (%(total)d) is not the sum of the counts by type (%(sum)d).")
                    % {"total": total, "sum": sum(typed.values())},
                    "VoteCounts",
                )
            )
            return
        county, precinct = self._station(unit)
        self.assembler.add_row(
            place=place,
            county=county,
            precinct=precinct,
            office=contest,
            district="",
            party=party,
            candidate=name,
            votes=total,
            by_type=typed,
            station_key=unit,
        )

    def _read_other_counts(self, contest: str, place: RowPlace, item: Mapping[str, Any]) -> None:
        for other in as_list(item.get("OtherCounts")):
            unit = str(other.get("GpUnitId", "")) if isinstance(other, Mapping) else ""
            if not self.units.is_station(unit):
                continue
            county, precinct = self._station(unit)
            for field, label in (("Undervotes", "Undervotes"), ("Overvotes", "Overvotes"), ("WriteIns", "Write-ins")):
                if field not in other or (field == "WriteIns" and not other[field]):
                    continue
                value = parse_count(other[field], place=place, column=field, problems=self.assembler.problems)
                self.assembler.add_row(
                    place=RowPlace(where=f"{place.where}, OtherCounts {self.units.name(unit)}"),
                    county=county,
                    precinct=precinct,
                    office=contest,
                    district="",
                    party="",
                    candidate=label,
                    votes=value,
                    by_type={},
                    station_key=unit,
                )

    def _read_stations(self) -> None:
        """Identifiers, registered voters and ballots cast of the stations that report."""
        cast = {
            str(c.get("GpUnitId")): c.get("BallotsCast")
            for c in as_list(self.election.get("BallotCounts"))
            if isinstance(c, Mapping) and c.get("Type", "total") == "total" and "BallotsCast" in c
        }
        for station in self.assembler.results.stations.values():
            unit = self.units.units.get(station.key, {})
            place = RowPlace(where=_("Reporting unit “%(unit)s”") % {"unit": station.precinct})
            station.identifiers = self.units.identifiers(station.key)
            for kind, raw in (
                ("registered", unit.get("VotersRegistered")),
                ("cast", cast.get(station.key, unit.get("VotersParticipated"))),
            ):
                if raw is not None:
                    value = parse_count(raw, place=place, column=kind, problems=self.assembler.problems)
                    self.assembler.station_count(station=station, kind=kind, value=value, place=place)


def parse_nist(data: bytes) -> ResultsFile:
    """Read a NIST SP 1500-100 V2 JSON election report into the neutral form; ``ResultsFileRefused`` names every
    problem."""
    report, election = _load(data)
    return NistReader(report, election, hashlib.sha256(data).hexdigest()).read()
