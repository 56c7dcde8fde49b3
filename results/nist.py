"""The snapshot in the NIST SP 1500-100 v2 (Election Results Common Data Format) JSON form.

The types below declare the part of the format this report uses, for mypy and the OpenAPI document (keys such as
``@type`` are not Python names, hence the functional form).
"""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict

from results.snapshot import Snapshot, SnapshotCandidate, SnapshotContest

NS = "ElectionResults."

NistLanguageString = TypedDict("NistLanguageString", {"@type": str, "Language": str, "Content": str})
NistText = TypedDict("NistText", {"@type": str, "Text": list[NistLanguageString]})
NistVoteCounts = TypedDict("NistVoteCounts", {"@type": str, "GpUnitId": str, "Count": int, "CountItemType": str})
NistOtherCounts = TypedDict("NistOtherCounts", {"@type": str, "GpUnitId": str, "Undervotes": int, "Overvotes": int})
NistReportingUnit = TypedDict(
    "NistReportingUnit",
    {
        "@type": str,
        "@id": str,
        "Name": str,
        "Type": str,
        "OtherType": NotRequired[str],
        "ComposingGpUnitIds": NotRequired[list[str]],
        "NumberVotersRegistered": NotRequired[int],
    },
)
NistParty = TypedDict("NistParty", {"@type": str, "@id": str, "Name": NistText, "Abbreviation": str, "Color": str})
NistCandidate = TypedDict(
    "NistCandidate", {"@type": str, "@id": str, "BallotName": NistText, "PartyId": NotRequired[str]}
)
NistCandidateSelection = TypedDict(
    "NistCandidateSelection",
    {"@type": str, "@id": str, "CandidateIds": list[str], "SequenceOrder": int, "VoteCounts": list[NistVoteCounts]},
)
NistCandidateContest = TypedDict(
    "NistCandidateContest",
    {
        "@type": str,
        "@id": str,
        "Name": str,
        "ElectionDistrictId": str,
        "NumberElected": int,
        "VotesAllowed": int,
        "ContestSelection": list[NistCandidateSelection],
        "OtherCounts": list[NistOtherCounts],
    },
)
NistElection = TypedDict(
    "NistElection",
    {
        "@type": str,
        "@id": str,
        "Name": NistText,
        "StartDate": str,
        "EndDate": str,
        "Type": str,
        "ElectionScopeId": str,
        "Candidate": list[NistCandidate],
        "Contest": list[NistCandidateContest],
    },
)
NistElectionReport = TypedDict(
    "NistElectionReport",
    {
        "@type": str,
        "Format": str,
        "GeneratedDate": str,
        "Issuer": str,
        "IssuerAbbreviation": str,
        "SequenceStart": int,
        "SequenceEnd": int,
        "Status": str,
        "VendorApplicationId": str,
        "Party": list[NistParty],
        "GpUnit": list[NistReportingUnit],
        "Election": list[NistElection],
    },
)


def _text(english: str, arabic: str) -> NistText:
    strings: list[NistLanguageString] = [{"@type": NS + "LanguageString", "Language": "en", "Content": english}]
    if arabic:
        strings.append({"@type": NS + "LanguageString", "Language": "ar", "Content": arabic})
    return {"@type": NS + "InternationalizedText", "Text": strings}


def _counts(unit: str, votes: int) -> NistVoteCounts:
    return {"@type": NS + "VoteCounts", "GpUnitId": unit, "Count": votes, "CountItemType": "total"}


def build_nist_report(snapshot: Snapshot) -> NistElectionReport:
    """An ElectionReport with every reporting unit, party, candidate and contest, and vote counts for the election
    and for each counted polling station (quarantined results are left out, as in the tallies)."""
    election = snapshot["election"]
    election_unit = f"gpu-election-{election['id']}"
    official = election["results_visibility"] == "official"
    return {
        "@type": NS + "ElectionReport",
        "Format": "precinct-level",
        "GeneratedDate": snapshot["updated_at"],
        "Issuer": "VoteTracker",
        "IssuerAbbreviation": "VT",
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": "certified" if official else "unofficial-partial",
        "VendorApplicationId": f"VoteTracker results v{snapshot['version']}",
        "Party": [
            {
                "@type": NS + "Party",
                "@id": f"party-{p['id']}",
                "Name": _text(p["name"], p["name_ar"]),
                "Abbreviation": p["abbreviation"],
                "Color": p["colour"].lstrip("#").lower(),
            }
            for p in snapshot["parties"]
        ],
        "GpUnit": _reporting_units(snapshot, election_unit),
        "Election": [
            {
                "@type": NS + "Election",
                "@id": f"election-{election['id']}",
                "Name": _text(election["name"], election["name_ar"]),
                "StartDate": election["date"],
                "EndDate": election["date"],
                "Type": "general",
                "ElectionScopeId": election_unit,
                "Candidate": [_candidate(c) for contest in snapshot["contests"] for c in contest["candidates"]],
                "Contest": [_candidate_contest(contest, election_unit) for contest in snapshot["contests"]],
            }
        ],
    }


def _reporting_units(snapshot: Snapshot, election_unit: str) -> list[NistReportingUnit]:
    """The election, each district (made of the districts and stations inside it) and each polling station."""
    units: list[NistReportingUnit] = [
        {
            "@type": NS + "ReportingUnit",
            "@id": election_unit,
            "Name": snapshot["election"]["name"],
            "Type": "other",
            "OtherType": "election",
            "ComposingGpUnitIds": [f"gpu-district-{d['id']}" for d in snapshot["districts"] if not d["parent_id"]],
        }
    ]
    for district in snapshot["districts"]:
        children = [f"gpu-district-{d['id']}" for d in snapshot["districts"] if d["parent_id"] == district["id"]]
        children += [f"gpu-station-{s['id']}" for s in snapshot["stations"] if s["district_id"] == district["id"]]
        units.append(
            {
                "@type": NS + "ReportingUnit",
                "@id": f"gpu-district-{district['id']}",
                "Name": district["name"],
                "Type": "other",
                "OtherType": "district",
                "ComposingGpUnitIds": children,
            }
        )
    for station in snapshot["stations"]:
        units.append(
            {
                "@type": NS + "ReportingUnit",
                "@id": f"gpu-station-{station['id']}",
                "Name": station["name"],
                "Type": "polling-place",
                "NumberVotersRegistered": station["registered_voters"],
            }
        )
    return units


def _candidate(candidate: SnapshotCandidate) -> NistCandidate:
    entry: NistCandidate = {
        "@type": NS + "Candidate",
        "@id": f"cand-{candidate['id']}",
        "BallotName": _text(candidate["name"], candidate["name_ar"]),
    }
    if candidate["party_id"]:
        entry["PartyId"] = f"party-{candidate['party_id']}"
    return entry


def _candidate_contest(contest: SnapshotContest, election_unit: str) -> NistCandidateContest:
    """A contest with one selection per candidate, counted for the election and for each counted station."""
    selections: list[NistCandidateSelection] = []
    for index, candidate in enumerate(contest["candidates"]):
        counts = [_counts(election_unit, contest["totals"]["candidates"][index]["votes"])]
        counts += [
            _counts(f"gpu-station-{row['station_id']}", row["votes"][index])
            for row in contest["stations"]
            if not row["quarantined"]
        ]
        selections.append(
            {
                "@type": NS + "CandidateSelection",
                "@id": f"sel-{candidate['id']}",
                "CandidateIds": [f"cand-{candidate['id']}"],
                "SequenceOrder": candidate["ballot_order"],
                "VoteCounts": counts,
            }
        )
    totals = contest["totals"]
    return {
        "@type": NS + "CandidateContest",
        "@id": f"contest-{contest['id']}",
        "Name": contest["name"],
        "ElectionDistrictId": f"gpu-district-{contest['district_id']}" if contest["district_id"] else election_unit,
        "NumberElected": contest["seats"],
        "VotesAllowed": contest["max_choices"],
        "ContestSelection": selections,
        "OtherCounts": [
            {
                "@type": NS + "OtherCounts",
                "GpUnitId": election_unit,
                "Undervotes": totals["blank"],
                "Overvotes": totals["invalid"],
            }
        ],
    }
