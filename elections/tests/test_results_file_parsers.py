"""Results files read into the neutral form: a real OpenElections county file as it is, the variety of real files
(header case, column order, extra columns, "Total" rows, turnout rows, write-ins, measures), a hand-written NIST V2
report, and every bad row named by line and column, the file refused as a whole."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from elections.results_files import (
    ResultsFile,
    ResultsFileRefused,
    parse_nist,
    parse_openelections,
    parse_results_file,
)

MARTIN = Path(__file__).parents[2] / "ballots" / "tests" / "data" / "openelections"
MARTIN_FILE = MARTIN / "20201103__tx__general__martin__precinct.csv"
TYPES = ("early_voting", "election_day", "absentee")
NOT_CANDIDATES = {"Over Votes", "Under Votes"}
HEADER = "county,precinct,office,district,party,candidate,votes\n"


def _refusal(data: str | bytes) -> list[str]:
    with pytest.raises(ResultsFileRefused) as refused:
        parse_results_file(data.encode() if isinstance(data, str) else data)
    return [str(problem) for problem in refused.value.problems]


def _martin_rows() -> list[dict[str, str]]:
    with MARTIN_FILE.open(newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def test_real_county_file_reads_every_precinct_contest_and_count() -> None:
    rows = _martin_rows()
    results = parse_openelections(MARTIN_FILE.read_bytes())
    contest_rows = [r for r in rows if r["office"] not in {"Registered Voters", "Ballots Cast"}]
    assert results.rows == len(rows)
    assert {(s.county, s.precinct) for s in results.stations.values()} == {(r["county"], r["precinct"]) for r in rows}
    assert len(results.sheets) == len({(r["precinct"], r["office"], r["district"]) for r in contest_rows})
    assert [t.code for t in results.vote_types] == list(TYPES)
    assert [t.nist_type for t in results.vote_types] == ["early", "election-day", "absentee"]
    registered = {r["precinct"]: int(r["votes"]) for r in rows if r["office"] == "Registered Voters"}
    cast = {r["precinct"]: int(r["votes"]) for r in rows if r["office"] == "Ballots Cast"}
    assert {
        s.precinct: s.registered_voters for s in results.stations.values() if s.precinct in registered
    } == registered
    assert {s.precinct: s.ballots_cast for s in results.stations.values() if s.precinct in cast} == cast
    # Every vote of the file is in the neutral form, candidate by candidate and way of voting by way of voting.
    expected: Counter[tuple[str, str, str]] = Counter()
    read: Counter[tuple[str, str, str]] = Counter()
    for r in contest_rows:
        if r["candidate"] not in NOT_CANDIDATES:
            expected[(r["office"], r["candidate"], "votes")] += int(r["votes"])
            for vote_type in TYPES:
                expected[(r["office"], r["candidate"], vote_type)] += int(r[vote_type])
    for (_station, contest_key), sheet in results.sheets.items():
        contest = results.contests[contest_key]
        for choice in contest.choices:
            read[(contest.office, choice.name, "votes")] += sheet.votes[choice.key]
            for vote_type in TYPES:
                read[(contest.office, choice.name, vote_type)] += sheet.by_type[choice.key][vote_type]
    assert read == expected


def test_real_county_file_tells_measures_write_ins_and_residual_rows_apart() -> None:
    results = parse_openelections(MARTIN_FILE.read_bytes())
    contests = {c.name: c for c in results.contests.values()}
    stanton = contests["City of Stanton Proposition A"]
    assert stanton.is_measure
    assert [c.name for c in stanton.choices] == ["For", "Against"]
    president = contests["President"]
    assert not president.is_measure
    assert [c.name for c in president.choices if c.is_write_in] == ["Rejected write-ins", "Unassigned write-ins"]
    assert "Over Votes" not in {c.name for c in president.choices}
    # "Over Votes" rows carry a party in this file; the party belongs to no choice.
    assert {c.party for c in president.choices if c.is_write_in} == {""}
    house = contests["U.S. House, District 11"]
    assert house.district == "11"
    senate = next(s for s in results.sheets.values() if s.contest_key == contests["U.S. Senate"].key)
    assert (senate.undervotes, senate.overvotes) == (17, 0)
    assert results.counts_undervotes_and_overvotes


VARIETY = """\ufeffCandidate,Office,District,Party,County,Precinct,Votes,Election Day,Mail,Early_Voting,year
Registered Voters,,,,Lakeside,P-1,500,,,,2024
Ballots Cast,,,,Lakeside,P-1,200,,,,2024
Ana Ruiz,Mayor - Vote for 1,,DEM,Lakeside,P-1,120,60,20,40,2024
Bo Lund,Mayor - Vote for 1,,REP,Lakeside,P-1,75,30,15,30,2024
Write-In: Cy Fox,Mayor - Vote for 1,,,Lakeside,P-1,3,3,0,0,2024
Total Votes,Mayor - Vote for 1,,,Lakeside,P-1,198,,,,2024
UNDER VOTES,Mayor - Vote for 1,,,Lakeside,P-1,2,2,0,0,2024
YES,Library Levy,,,Lakeside,P-1,150,80,20,50,2024
NO,Library Levy,,,Lakeside,P-1,40,10,10,20,2024
Ana Ruiz,Mayor - Vote for 1,,DEM,Lakeside,P-2,10,5,2,3,2024
Bo Lund,Mayor - Vote for 1,,REP,Lakeside,P-2,12.0,6,3,3,2024
Ana Ruiz,Mayor - Vote for 1,,DEM,Total,,130,,,,2024
"""


def test_real_file_variety_is_read_alike() -> None:
    results = parse_openelections(VARIETY.encode())
    mayor = next(c for c in results.contests.values() if c.office.startswith("Mayor"))
    assert mayor.max_choices == 1
    assert [(c.name, c.is_write_in) for c in mayor.choices] == [
        ("Ana Ruiz", False),
        ("Bo Lund", False),
        ("Write-In: Cy Fox", True),
    ]
    levy = next(c for c in results.contests.values() if c.office == "Library Levy")
    assert levy.is_measure
    assert [c.name for c in levy.choices] == ["YES", "NO"]
    assert [(t.code, t.nist_type) for t in results.vote_types] == [
        ("election_day", "election-day"),
        ("mail", "absentee-mail"),
        ("early_voting", "early"),
    ]
    p2 = results.sheets[("lakeside|p-2", mayor.key)]
    # A write-in line missing at a precinct had no votes there; "12.0" is twelve.
    assert p2.votes == {"ana ruiz": 10, "bo lund": 12, "write-in: cy fox": 0}
    assert p2.by_type["write-in: cy fox"] == {"election_day": 0, "mail": 0, "early_voting": 0}
    assert results.sheets[("lakeside|p-1", mayor.key)].undervotes == 2
    assert any("year" in note for note in results.notes)
    assert any("1 rows of totals" in note for note in results.notes)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((3, "votes", "-5"), "Line 4, votes: This count cannot be negative (-5)."),
        ((3, "votes", "many"), "Line 4, votes: “many” is not a whole number."),
        ((3, "votes", ""), "Line 4, votes: This count is empty; give the number (0 if none)."),
        ((3, "Mail", "x"), "Line 4, Mail: “x” is not a whole number."),
        ((3, "Election Day", "61"), "Line 4, votes: The votes (120) are not the sum of the votes by way of voting"),
        ((6, "Votes", "197"), "Line 7, votes: This total (197) is not the sum of the votes of the contest"),
        ((3, "Precinct", ""), "Line 4, precinct: This cell is empty."),
    ],
)
def test_bad_cell_is_named_by_line_and_column(change: tuple[int, str, str], expected: str) -> None:
    rows = list(csv.reader(io.StringIO(VARIETY.lstrip("\ufeff"))))
    header = rows[0]
    row, column, value = change
    rows[row][[h.lower() for h in header].index(column.lower())] = value
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    problems = _refusal(text.getvalue())
    assert any(problem.startswith(expected) for problem in problems), problems


def test_missing_column_is_named() -> None:
    problems = _refusal("county,precinct,office,district,party,candidate\nA,1,Mayor,,,Ana\n")
    assert problems == [
        "Line 1: The header has no column votes; an OpenElections file has county, precinct, office, candidate, "
        "votes, district, party."
    ]


def test_duplicate_row_names_both_lines() -> None:
    data = HEADER + "A,1,Mayor,,,Ana,5\nA,1,Mayor,,,Bo,4\nA,1,Mayor,,,Ana,5\n"
    assert _refusal(data) == [
        "Line 4, candidate: This row repeats one already given (line 2) for the same precinct, contest and candidate."
    ]


def test_candidate_missing_at_a_precinct_is_named() -> None:
    data = HEADER + "A,1,Mayor,,,Ana,5\nA,1,Mayor,,,Bo,4\nA,2,Mayor,,,Ana,3\n"
    assert _refusal(data) == ["Line 4, candidate: “Bo” of contest “Mayor” has no row at precinct 2."]


def test_file_that_is_not_utf8_or_not_a_table_is_refused_plainly() -> None:
    assert _refusal("county,precinct\n".encode("utf-16")) == [
        "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
    ]
    assert _refusal(b"") == ["The file is empty."]


def _text(content: str) -> dict[str, Any]:
    return {
        "@type": "ElectionResults.InternationalizedText",
        "Text": [{"@type": "ElectionResults.LanguageString", "Language": "en", "Content": content}],
    }


def _counts(unit: str, total: int, day: int, mail: int) -> list[dict[str, Any]]:
    return [
        {"@type": "ElectionResults.VoteCounts", "GpUnitId": unit, "Type": "total", "Count": total},
        {"@type": "ElectionResults.VoteCounts", "GpUnitId": unit, "Type": "election-day", "Count": day},
        {"@type": "ElectionResults.VoteCounts", "GpUnitId": unit, "Type": "absentee-mail", "Count": mail},
    ]


def nist_report() -> dict[str, Any]:
    """A small V2 report written by hand: a county of two precincts, a candidate contest with a write-in line and a
    measure, counts per precinct and for the county."""
    unit = {"@type": "ElectionResults.ReportingUnit"}
    return {
        "@type": "ElectionResults.ElectionReport",
        "Format": "precinct-level",
        "GeneratedDate": "2024-11-06T10:00:00Z",
        "Issuer": "Lakeside County",
        "IssuerAbbreviation": "LC",
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": "unofficial-complete",
        "VendorApplicationId": "hand-written",
        "Party": [
            {
                "@type": "ElectionResults.Party",
                "@id": "p-dem",
                "Name": _text("Democratic"),
                "Abbreviation": _text("DEM"),
            }
        ],
        "GpUnit": [
            {**unit, "@id": "county", "Type": "county", "Name": _text("Lakeside"), "ComposingGpUnitIds": ["p1", "p2"]},
            {
                **unit,
                "@id": "p1",
                "Type": "precinct",
                "Name": _text("P-1"),
                "VotersRegistered": 500,
                "ExternalIdentifier": [
                    {"@type": "ElectionResults.ExternalIdentifier", "Type": "local-level", "Value": "LK-1"}
                ],
            },
            {**unit, "@id": "p2", "Type": "precinct", "Name": _text("P-2")},
        ],
        "Election": [
            {
                "@type": "ElectionResults.Election",
                "Name": _text("General"),
                "StartDate": "2024-11-05",
                "EndDate": "2024-11-05",
                "Type": "general",
                "ElectionScopeId": "county",
                "BallotCounts": [
                    {"@type": "ElectionResults.BallotCounts", "GpUnitId": "p1", "Type": "total", "BallotsCast": 200}
                ],
                "Candidate": [
                    {
                        "@type": "ElectionResults.Candidate",
                        "@id": "c-ana",
                        "BallotName": _text("Ana Ruiz"),
                        "PartyId": "p-dem",
                    }
                ],
                "Contest": [
                    {
                        "@type": "ElectionResults.CandidateContest",
                        "@id": "mayor",
                        "Name": "Mayor",
                        "ElectionDistrictId": "county",
                        "VotesAllowed": 1,
                        "ContestSelection": [
                            {
                                "@type": "ElectionResults.CandidateSelection",
                                "@id": "s-ana",
                                "SequenceOrder": 1,
                                "CandidateIds": ["c-ana"],
                                "VoteCounts": _counts("county", 130, 80, 50)
                                + _counts("p1", 120, 70, 50)
                                + _counts("p2", 10, 10, 0),
                            },
                            {
                                "@type": "ElectionResults.CandidateSelection",
                                "@id": "s-wi",
                                "SequenceOrder": 2,
                                "IsWriteIn": True,
                                "VoteCounts": _counts("p1", 3, 3, 0) + _counts("p2", 0, 0, 0),
                            },
                        ],
                        "OtherCounts": [
                            {"@type": "ElectionResults.OtherCounts", "GpUnitId": "p1", "Undervotes": 7, "Overvotes": 1}
                        ],
                    },
                    {
                        "@type": "ElectionResults.BallotMeasureContest",
                        "@id": "levy",
                        "Name": "Library Levy",
                        "ElectionDistrictId": "county",
                        "ContestSelection": [
                            {
                                "@type": "ElectionResults.BallotMeasureSelection",
                                "@id": "no",
                                "SequenceOrder": 2,
                                "Selection": _text("No"),
                                "VoteCounts": _counts("p1", 40, 30, 10),
                            },
                            {
                                "@type": "ElectionResults.BallotMeasureSelection",
                                "@id": "yes",
                                "SequenceOrder": 1,
                                "Selection": _text("Yes"),
                                "VoteCounts": _counts("p1", 150, 100, 50),
                            },
                        ],
                    },
                ],
            }
        ],
    }


def test_nist_report_reads_precinct_counts_by_type_and_leaves_county_totals_out() -> None:
    results: ResultsFile = parse_results_file(json.dumps(nist_report()).encode())
    assert results.format == "nist"
    assert {(s.key, s.county, s.precinct, s.identifiers) for s in results.stations.values()} == {
        ("p1", "Lakeside", "P-1", ("LK-1",)),
        ("p2", "Lakeside", "P-2", ()),
    }
    assert (results.stations["p1"].registered_voters, results.stations["p1"].ballots_cast) == (500, 200)
    assert [(t.code, t.nist_type) for t in results.vote_types] == [
        ("election-day", "election-day"),
        ("absentee-mail", "absentee-mail"),
    ]
    mayor, levy = results.contests.values()
    assert [(c.name, c.party, c.is_write_in) for c in mayor.choices] == [
        ("Ana Ruiz", "DEM", False),
        ("Write-in", "", True),
    ]
    assert levy.is_measure
    assert [c.name for c in levy.choices] == ["Yes", "No"]
    p1 = results.sheets[("p1", mayor.key)]
    assert p1.votes == {"ana ruiz": 120, "write-in": 3}
    assert p1.by_type["ana ruiz"] == {"election-day": 70, "absentee-mail": 50}
    assert (p1.undervotes, p1.overvotes) == (7, 1)
    assert set(results.sheets) == {("p1", mayor.key), ("p2", mayor.key), ("p1", levy.key)}
    assert any("1 units that group others" in note for note in results.notes)


def test_nist_count_that_does_not_add_up_or_is_negative_is_named() -> None:
    report = nist_report()
    selections = report["Election"][0]["Contest"][0]["ContestSelection"]
    selections[0]["VoteCounts"][4]["Count"] = 71
    selections[1]["VoteCounts"][0]["Count"] = -3
    with pytest.raises(ResultsFileRefused) as refused:
        parse_nist(json.dumps(report).encode())
    problems = [str(problem) for problem in refused.value.problems]
    assert (
        "Contest “Mayor”, selection 1, P-1, VoteCounts: The total (120) is not the sum of the counts by type (121)."
        in problems
    )
    assert "Contest “Mayor”, selection 2, VoteCounts 1, Count: This count cannot be negative (-3)." in problems


def test_a_document_that_is_no_election_report_is_refused() -> None:
    assert _refusal(b'{"@type": "ElectionResults.Party"}') == [
        "This is not a NIST election report (ElectionResults.ElectionReport)."
    ]
    assert _refusal(b'{"Election": [')[0].startswith("Line 1: The file is not valid JSON")


def test_every_precinct_of_the_real_file_adds_up_to_its_ballots_cast() -> None:
    """The file's own arithmetic, as the entry will check it: a contest's votes, undervotes and overvotes are the
    precinct's ballots cast."""
    results = parse_openelections(MARTIN_FILE.read_bytes())
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for (station, contest), sheet in results.sheets.items():
        sums[(station, contest)] = sum(sheet.votes.values()) + sheet.undervotes + sheet.overvotes
    for (station, _contest), total in sums.items():
        cast = results.stations[station].ballots_cast
        assert cast is None or total == cast
