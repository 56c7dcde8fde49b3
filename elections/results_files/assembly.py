"""Rows of any results format into the neutral form, with the checks every format shares: counts are whole numbers,
no row is given twice, votes by type add up to the votes, every candidate of a contest has a row at every precinct
that reports the contest, and "Total" rows equal what they total."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from elections.results_files import labels
from elections.results_files.cells import Pair, RowPlace, TypedRow, parse_count
from elections.results_files.model import (
    FileChoice,
    FileContest,
    FileSheet,
    FileStation,
    FileVoteType,
    Problem,
    ResultsFile,
    ResultsFileRefused,
)


class Assembler:
    """Collects a file's rows and problems; ``finish`` returns the neutral form or refuses the file."""

    def __init__(self, *, format: str, sha256: str, vote_types: list[FileVoteType]) -> None:
        self.results = ResultsFile(format=format, sha256=sha256)
        self.problems: list[Problem] = []
        self.vote_types = vote_types
        self.kind_given: set[str] = set()
        self._typed_rows: list[TypedRow] = []
        self._totals: list[tuple[Pair, int, RowPlace]] = []
        self._station_counts: dict[tuple[object, str], RowPlace] = {}
        self._sheet_counts: dict[tuple[object, str], RowPlace] = {}
        self._skipped_totals = 0

    def refuse(self, problem: Problem) -> None:
        self.problems.append(problem)

    def station(self, *, county: str, precinct: str, place: RowPlace, key: str | None = None) -> FileStation:
        key = key or f"{labels.normalise(county)}|{labels.normalise(precinct)}"
        found = self.results.stations.get(key)
        if found is None:
            found = FileStation(key=key, county=labels.clean(county), precinct=labels.clean(precinct), line=place.line)
            self.results.stations[key] = found
        return found

    def contest(self, *, office: str, district: str, place: RowPlace) -> FileContest:
        key = f"{labels.normalise(office)}|{labels.normalise(district)}"
        found = self.results.contests.get(key)
        if found is None:
            found = FileContest(
                key=key,
                office=labels.clean(office),
                district=labels.clean(district),
                name=labels.contest_name(office, district),
                max_choices=labels.max_choices_of(office),
                line=place.line,
            )
            self.results.contests[key] = found
        return found

    def sheet(self, station: FileStation, contest: FileContest, place: RowPlace) -> FileSheet:
        pair = (station.key, contest.key)
        found = self.results.sheets.get(pair)
        if found is None:
            found = FileSheet(station_key=station.key, contest_key=contest.key, line=place.line)
            self.results.sheets[pair] = found
        return found

    def _once(self, seen: dict[tuple[object, str], RowPlace], key: tuple[object, str], place: RowPlace) -> bool:
        """Whether this is the first row giving ``key``; names the repeat otherwise."""
        first = seen.get(key)
        if first is None:
            seen[key] = place
            return True
        self.refuse(
            place.problem(
                _("This row repeats one already given (%(first)s) for the same precinct, contest and candidate.")
                % {"first": first.where or (_("line %(line)d") % {"line": first.line})},
                "candidate",
            )
        )
        return False

    def station_count(self, *, station: FileStation, kind: str, value: int | None, place: RowPlace) -> None:
        """The precinct's registered voters (``kind`` "registered") or ballots cast ("cast")."""
        if value is None or not self._once(self._station_counts, (station.key, kind), place):
            return
        if kind == "registered":
            station.registered_voters = value
        else:
            station.ballots_cast = value

    def add_row(
        self,
        *,
        place: RowPlace,
        county: str,
        precinct: str,
        office: str,
        district: str,
        party: str,
        candidate: str,
        votes: int | None,
        by_type: Mapping[str, str | int | None],
        station_key: str | None = None,
    ) -> None:
        """One row: a precinct's registered voters or ballots cast, or a contest's candidate, write-in, undervotes,
        overvotes, ballots cast or total at a precinct. Rows of county totals are left out."""
        if labels.normalise(precinct) in labels.TOTAL_PLACES or labels.normalise(county) in labels.TOTAL_PLACES:
            self._skipped_totals += 1
            return
        office_key, choice_key = labels.normalise(office), labels.normalise(candidate)
        # Some files give a precinct's counts as a "candidate" with no office.
        turnout_row = office_key in labels.BALLOTS_CAST or (not office_key and choice_key in labels.BALLOTS_CAST)
        if not precinct.strip() or not (office_key or turnout_row or choice_key in labels.REGISTERED_VOTERS):
            self.refuse(place.problem(_("This cell is empty."), "office" if precinct.strip() else "precinct"))
            return
        station = self.station(county=county, precinct=precinct, place=place, key=station_key)
        if office_key in labels.REGISTERED_VOTERS or choice_key in labels.REGISTERED_VOTERS:
            self.station_count(station=station, kind="registered", value=votes, place=place)
        elif turnout_row:
            self.station_count(station=station, kind="cast", value=votes, place=place)
        elif office_key in labels.BALLOTS_CAST_BLANK or choice_key in labels.BALLOTS_CAST_BLANK:
            return
        elif not choice_key:
            self.refuse(place.problem(_("This cell is empty."), "candidate"))
        else:
            contest = self.contest(office=office, district=district, place=place)
            self._add_contest_row(station, contest, place, candidate, party, votes, by_type)

    def _add_contest_row(
        self,
        station: FileStation,
        contest: FileContest,
        place: RowPlace,
        candidate: str,
        party: str,
        votes: int | None,
        by_type: Mapping[str, str | int | None],
    ) -> None:
        sheet = self.sheet(station, contest, place)
        pair, key = (station.key, contest.key), labels.normalise(candidate)
        if key in labels.TOTAL_CHOICES:
            if votes is not None:
                self._totals.append((pair, votes, place))
            return
        if not self._once(self._sheet_counts, (pair, key), place) or votes is None:
            return
        if key in labels.BALLOTS_CAST:
            sheet.ballots_cast = votes
        elif key in labels.UNDERVOTES:
            sheet.undervotes = votes
            self.results.counts_undervotes_and_overvotes = True
        elif key in labels.OVERVOTES:
            sheet.overvotes = votes
            self.results.counts_undervotes_and_overvotes = True
        else:
            if contest.choice(key) is None:
                write_in = labels.is_write_in(candidate)
                contest.choices.append(
                    FileChoice(
                        key=key,
                        name=labels.clean(candidate),
                        party="" if write_in else labels.clean(party),
                        is_write_in=write_in,
                    )
                )
            sheet.votes[key] = votes
            sheet.lines[key] = place.line or 0
            typed = {
                vote_type.code: self._type_count(by_type.get(vote_type.code), vote_type, place)
                for vote_type in self.vote_types
            }
            self._typed_rows.append(TypedRow(pair, key, place, votes, typed))

    def _type_count(self, raw: str | int | None, vote_type: FileVoteType, place: RowPlace) -> int | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        return parse_count(raw, place=place, column=vote_type.column, problems=self.problems)

    def finish(self) -> ResultsFile:
        """The file in the neutral form, or ``ResultsFileRefused`` with every problem found."""
        results = self.results
        self._settle_vote_types()
        for contest in results.contests.values():
            contest.settle_choices(detect_measure=contest.key not in self.kind_given)
        self._complete_sheets()
        self._check_totals()
        if not results.sheets and not self.problems:
            self.refuse(Problem(_("The file has no results of any contest.")))
        if self._skipped_totals:
            results.notes.append(
                _("%(count)d rows of totals over precincts were left out.") % {"count": self._skipped_totals}
            )
        if self.problems:
            raise ResultsFileRefused(self.problems)
        return results

    def _settle_vote_types(self) -> None:
        """Keep the vote types some row gives; then every row must give them all, adding up to its votes."""
        used = [t for t in self.vote_types if any(row.by_type.get(t.code) is not None for row in self._typed_rows)]
        unused = [t.column for t in self.vote_types if t not in used]
        if unused:
            self.results.notes.append(
                _("Columns with no votes in them were left out: %(columns)s.") % {"columns": ", ".join(unused)}
            )
        self.results.vote_types = used
        for row in self._typed_rows:
            if not used:
                break
            if row.votes == 0 and all(row.by_type.get(t.code) is None for t in used):
                # A line with no votes often leaves its ways of voting empty: there is nothing to split.
                row.by_type.update(dict.fromkeys((t.code for t in used), 0))
            missing = [t for t in used if row.by_type.get(t.code) is None]
            for vote_type in missing:
                self.refuse(row.place.problem(_("The votes of this way of voting are missing."), vote_type.column))
            total = sum(row.by_type.get(t.code) or 0 for t in used)
            if not missing and total != row.votes:
                self.refuse(
                    row.place.problem(
                        _("The votes (%(votes)d) are not the sum of the votes by way of voting (%(total)d).")
                        % {"votes": row.votes, "total": total},
                        "votes",
                    )
                )
            sheet = self.results.sheets[row.pair]
            sheet.by_type[row.choice] = {t.code: row.by_type.get(t.code) or 0 for t in used}

    def _complete_sheets(self) -> None:
        """A write-in line missing at a precinct had no votes there; a candidate missing is a problem."""
        results = self.results
        codes = [t.code for t in results.vote_types]
        empty: list[tuple[str, str]] = []
        for (station_key, contest_key), sheet in results.sheets.items():
            contest = results.contests[contest_key]
            station = results.stations[station_key]
            if not sheet.votes and not (sheet.undervotes or sheet.overvotes or sheet.ballots_cast):
                # Rows of nothing but zero undervotes and overvotes: the precinct does not vote on the contest.
                empty.append((station_key, contest_key))
                continue
            if not sheet.votes:
                self.refuse(
                    Problem(
                        _("Contest “%(contest)s” has no candidate rows at precinct %(precinct)s.")
                        % {"contest": contest.name, "precinct": station.precinct},
                        line=sheet.line,
                        column="candidate",
                    )
                )
                continue
            for choice in contest.choices:
                if choice.key in sheet.votes:
                    continue
                if choice.is_write_in:
                    sheet.votes[choice.key] = 0
                    if codes:
                        sheet.by_type[choice.key] = dict.fromkeys(codes, 0)
                    continue
                self.refuse(
                    Problem(
                        _("“%(candidate)s” of contest “%(contest)s” has no row at precinct %(precinct)s.")
                        % {"candidate": choice.name, "contest": contest.name, "precinct": station.precinct},
                        line=sheet.line,
                        column="candidate",
                    )
                )
        for pair in empty:
            del results.sheets[pair]
        reported = {contest_key for _station, contest_key in results.sheets}
        for key in [key for key in results.contests if key not in reported]:
            del results.contests[key]

    def _check_totals(self) -> None:
        for pair, total, place in self._totals:
            sheet = self.results.sheets.get(pair)
            if sheet is None:
                continue
            votes = sum(sheet.votes.values())
            if total not in {votes, votes + sheet.undervotes + sheet.overvotes}:
                self.refuse(
                    place.problem(
                        _(
                            "This total (%(total)d) is not the sum of the votes of the contest at this precinct "
                            "(%(votes)d)."
                        )
                        % {"total": total, "votes": votes},
                        "votes",
                    )
                )
