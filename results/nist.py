"""The snapshot in the NIST SP 1500-100 v2 (Election Results Common Data Format) JSON form."""

from __future__ import annotations

from typing import Any

from results.tallies import Snapshot

NS = "ElectionResults."


def _text(english: str, arabic: str) -> dict[str, Any]:
    strings = [{"@type": NS + "LanguageString", "Language": "en", "Content": english}]
    if arabic:
        strings.append({"@type": NS + "LanguageString", "Language": "ar", "Content": arabic})
    return {"@type": NS + "InternationalizedText", "Text": strings}


def _counts(unit: str, votes: int) -> dict[str, Any]:
    return {"@type": NS + "VoteCounts", "GpUnitId": unit, "Count": votes, "CountItemType": "total"}


def build_nist_report(snapshot: Snapshot) -> dict[str, Any]:
    """An ElectionReport with every reporting unit, party, candidate and contest, and vote counts for the election
    and for each counted polling station (quarantined results are left out, as in the tallies)."""
    election = snapshot["election"]
    election_unit = f"gpu-election-{election['id']}"
    units: list[dict[str, Any]] = [
        {
            "@type": NS + "ReportingUnit",
            "@id": election_unit,
            "Name": election["name"],
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
    candidates: list[dict[str, Any]] = []
    contests: list[dict[str, Any]] = []
    for contest in snapshot["contests"]:
        selections = []
        for index, candidate in enumerate(contest["candidates"]):
            candidates.append(
                {
                    "@type": NS + "Candidate",
                    "@id": f"cand-{candidate['id']}",
                    "BallotName": _text(candidate["name"], candidate["name_ar"]),
                    **({"PartyId": f"party-{candidate['party_id']}"} if candidate["party_id"] else {}),
                }
            )
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
        contests.append(
            {
                "@type": NS + "CandidateContest",
                "@id": f"contest-{contest['id']}",
                "Name": contest["name"],
                "ElectionDistrictId": (
                    f"gpu-district-{contest['district_id']}" if contest["district_id"] else election_unit
                ),
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
        )
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
        "GpUnit": units,
        "Election": [
            {
                "@type": NS + "Election",
                "@id": f"election-{election['id']}",
                "Name": _text(election["name"], election["name_ar"]),
                "StartDate": election["date"],
                "EndDate": election["date"],
                "Type": "general",
                "ElectionScopeId": election_unit,
                "Candidate": candidates,
                "Contest": contests,
            }
        ],
    }
