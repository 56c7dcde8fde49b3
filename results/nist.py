"""The snapshot in the NIST SP 1500-100 v2 (Election Results Common Data Format) JSON form, valid against NIST's own
JSON schema (``results/tests/test_nist.py`` checks it), with the audit log's head as external identifiers.

Counts are given for the election and for each counted polling station (quarantined results are left out, as in the
tallies): a ``total`` per candidate or choice and, when the election has vote types, one count per type.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from results.nist_types import (
    NistBallotMeasureContest,
    NistBallotMeasureSelection,
    NistCandidate,
    NistCandidateContest,
    NistCandidateSelection,
    NistElectionReport,
    NistExternalIdentifier,
    NistOtherCounts,
    NistParty,
    NistReportingUnit,
    NistText,
    NistVoteCounts,
)
from results.snapshot import (
    Snapshot,
    SnapshotAuditHead,
    SnapshotCandidate,
    SnapshotContest,
    SnapshotParty,
    SnapshotStationResult,
    SnapshotTally,
    SnapshotVoteType,
)

NS = "ElectionResults."
# The ExternalIdentifier ``OtherType`` of each part of the audit log's head, and its label.
AUDIT_HEAD_IDENTIFIERS = {
    "event_id": ("votetracker-audit-head-event-id", "Audit log head: last event id"),
    "hash": ("votetracker-audit-head-hash", "Audit log head: its SHA-256 chain hash"),
    "count": ("votetracker-audit-head-count", "Audit log head: events up to it"),
}


def _text(english: str, arabic: str = "") -> NistText:
    text: NistText = {"@type": NS + "InternationalizedText", "Text": []}
    text["Text"].append({"@type": NS + "LanguageString", "Language": "en", "Content": english})
    if arabic:
        text["Text"].append({"@type": NS + "LanguageString", "Language": "ar", "Content": arabic})
    return text


def _generated_date(updated_at: str) -> str:
    """The snapshot's time in whole seconds: the schema's date-time pattern allows no fraction."""
    return dt.datetime.fromisoformat(updated_at).replace(microsecond=0).isoformat()


def _counts(unit: str, total: int, by_type: list[int], vote_types: list[SnapshotVoteType]) -> list[NistVoteCounts]:
    """A selection's votes in one reporting unit: the total, then per vote type when they were counted by type."""
    counts: list[NistVoteCounts] = [{"@type": NS + "VoteCounts", "GpUnitId": unit, "Type": "total", "Count": total}]
    if len(by_type) != len(vote_types):  # entered without vote types: the total alone
        return counts
    for vote_type, count in zip(vote_types, by_type, strict=True):
        entry: NistVoteCounts = {
            "@type": NS + "VoteCounts",
            "GpUnitId": unit,
            "Type": vote_type["nist_type"],
            "Count": count,
        }
        if vote_type["nist_type"] == "other":
            entry["OtherType"] = vote_type["code"]
        counts.append(entry)
    return counts


def build_nist_report(snapshot: Snapshot) -> NistElectionReport:
    """An ElectionReport with every reporting unit, party, candidate and contest, and the counts of the election and
    of each counted polling station."""
    election = snapshot["election"]
    election_unit = f"gpu-election-{election['id']}"
    report: NistElectionReport = {
        "@type": NS + "ElectionReport",
        "Format": "precinct-level",
        "GeneratedDate": _generated_date(snapshot["updated_at"]),
        "Issuer": "VoteTracker",
        "IssuerAbbreviation": "VT",
        "SequenceStart": 1,
        "SequenceEnd": 1,
        "Status": "certified" if election["results_visibility"] == "official" else "unofficial-partial",
        "VendorApplicationId": f"VoteTracker results v{snapshot['version']}",
        "Party": [_party(p) for p in snapshot["parties"]],
        "GpUnit": _reporting_units(snapshot, election_unit),
        "Election": [
            {
                "@type": NS + "Election",
                "Name": _text(election["name"], election["name_ar"]),
                "StartDate": election["date"],
                "EndDate": election["date"],
                "Type": "general",
                "ElectionScopeId": election_unit,
                "Candidate": [
                    _candidate(c)
                    for contest in snapshot["contests"]
                    if contest["kind"] != "measure"
                    for c in contest["candidates"]
                ],
                "Contest": [_contest(snapshot, contest, election_unit) for contest in snapshot["contests"]],
            }
        ],
    }
    head = snapshot.get("audit_head")
    if head is not None:
        report["ExternalIdentifier"] = _audit_head_identifiers(head)
    return report


def _party(party: SnapshotParty) -> NistParty:
    entry: NistParty = {
        "@type": NS + "Party",
        "@id": f"party-{party['id']}",
        "Name": _text(party["name"], party["name_ar"]),
        "Color": party["colour"].lstrip("#").lower(),
    }
    if party["abbreviation"]:
        entry["Abbreviation"] = _text(party["abbreviation"])
    return entry


def _unit(unit_id: str, name: NistText, kind: str, parts: list[str]) -> NistReportingUnit:
    """A reporting unit of a kind the format does not name (``Type`` other), made of ``parts``."""
    return {
        "@type": NS + "ReportingUnit",
        "@id": unit_id,
        "Name": name,
        "Type": "other",
        "OtherType": kind,
        "ComposingGpUnitIds": parts,
    }


def _reporting_units(snapshot: Snapshot, election_unit: str) -> list[NistReportingUnit]:
    """The election, each district (made of the districts and stations inside it), each electoral district (made of
    the stations voting in it) and each polling station."""
    election = snapshot["election"]
    districts = snapshot["districts"]
    # Each unit's parts gathered in one pass, not a scan of every district and station per district.
    parts_of: dict[int | None, list[str]] = defaultdict(list)
    for district in districts:
        parts_of[district["parent_id"] or None].append(f"gpu-district-{district['id']}")
    stations_of: dict[int, list[str]] = defaultdict(list)
    for station in snapshot["stations"]:
        stations_of[station["district_id"]].append(f"gpu-station-{station['id']}")
    units = [_unit(election_unit, _text(election["name"], election["name_ar"]), "election", parts_of[None])]
    for district in districts:
        parts = parts_of[district["id"]] + stations_of[district["id"]]
        name = _text(district["name"], district["name_ar"])
        units.append(_unit(f"gpu-district-{district['id']}", name, "district", parts))
    voting_in = {
        c["electoral_district_id"]: c["station_ids"] for c in snapshot["contests"] if c["electoral_district_id"]
    }
    for area in snapshot["electoral_districts"]:
        stations = [f"gpu-station-{pk}" for pk in voting_in.get(area["id"], [])]
        name = _text(area["name"], area["name_ar"])
        units.append(_unit(f"gpu-area-{area['id']}", name, "electoral-district", stations))
    for station in snapshot["stations"]:
        unit: NistReportingUnit = {
            "@type": NS + "ReportingUnit",
            "@id": f"gpu-station-{station['id']}",
            "Name": _text(station["name"], station["name_ar"]),
            "Type": "polling-place",
        }
        if station["registered_voters"] is not None:
            unit["VotersRegistered"] = station["registered_voters"]
        units.append(unit)
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


def _selection_counts(
    snapshot: Snapshot, contest: SnapshotContest, index: int, election_unit: str
) -> list[NistVoteCounts]:
    """One candidate's (or choice's) counts: for the election, then for each counted station."""
    vote_types = snapshot["vote_types"]
    total = contest["totals"]["candidates"][index]
    counts = _counts(election_unit, total["votes"], total["by_type"], vote_types)
    for row in contest["stations"]:
        if not row["quarantined"]:
            by_type = row["votes_by_type"][index] if row["votes_by_type"] else []
            counts += _counts(f"gpu-station-{row['station_id']}", row["votes"][index], by_type, vote_types)
    return counts


def _other_counts(snapshot: Snapshot, unit: str, tally: SnapshotTally | SnapshotStationResult) -> NistOtherCounts:
    """Undervotes and overvotes where the election counts them; otherwise its blank ballots stand for the undervotes
    and its invalid ones for the overvotes, the nearest the format has."""
    counted = snapshot["election"]["counts_undervotes_and_overvotes"]
    return {
        "@type": NS + "OtherCounts",
        "GpUnitId": unit,
        "Undervotes": tally["undervotes"] if counted else tally["blank"],
        "Overvotes": tally["overvotes"] if counted else tally["invalid"],
    }


def _contest(
    snapshot: Snapshot, contest: SnapshotContest, election_unit: str
) -> NistCandidateContest | NistBallotMeasureContest:
    """A candidate contest, or a ballot measure whose choices are its selections."""
    if contest["electoral_district_id"]:
        district = f"gpu-area-{contest['electoral_district_id']}"
    elif contest["district_id"]:
        district = f"gpu-district-{contest['district_id']}"
    else:
        district = election_unit
    totals: SnapshotTally = contest["totals"]
    other = [_other_counts(snapshot, election_unit, totals)]
    other += [
        _other_counts(snapshot, f"gpu-station-{row['station_id']}", row)
        for row in contest["stations"]
        if not row["quarantined"]
    ]
    if contest["kind"] == "measure":
        choices: list[NistBallotMeasureSelection] = [
            {
                "@type": NS + "BallotMeasureSelection",
                "@id": f"sel-{choice['id']}",
                "Selection": _text(choice["name"], choice["name_ar"]),
                "SequenceOrder": choice["ballot_order"],
                "VoteCounts": _selection_counts(snapshot, contest, index, election_unit),
            }
            for index, choice in enumerate(contest["candidates"])
        ]
        return {
            "@type": NS + "BallotMeasureContest",
            "@id": f"contest-{contest['id']}",
            "Name": contest["name"],
            "ElectionDistrictId": district,
            "SubUnitsReported": totals["stations_reporting"],
            "TotalSubUnits": totals["stations_total"],
            "ContestSelection": choices,
            "OtherCounts": other,
        }
    selections: list[NistCandidateSelection] = []
    for index, candidate in enumerate(contest["candidates"]):
        selection: NistCandidateSelection = {
            "@type": NS + "CandidateSelection",
            "@id": f"sel-{candidate['id']}",
            "CandidateIds": [f"cand-{candidate['id']}"],
            "SequenceOrder": candidate["ballot_order"],
            "VoteCounts": _selection_counts(snapshot, contest, index, election_unit),
        }
        if candidate["is_write_in"]:
            selection["IsWriteIn"] = True
        selections.append(selection)
    return {
        "@type": NS + "CandidateContest",
        "@id": f"contest-{contest['id']}",
        "Name": contest["name"],
        "ElectionDistrictId": district,
        "NumberElected": contest["seats"],
        "VotesAllowed": contest["max_choices"],
        "SubUnitsReported": totals["stations_reporting"],
        "TotalSubUnits": totals["stations_total"],
        "ContestSelection": selections,
        "OtherCounts": other,
    }


def _audit_head_identifiers(head: SnapshotAuditHead) -> list[NistExternalIdentifier]:
    """The audit log's head as the report's external identifiers (type ``other``), which keeps the report valid."""
    values = {"event_id": str(head["event_id"]), "hash": head["hash"], "count": str(head["count"])}
    return [
        {"@type": NS + "ExternalIdentifier", "Type": "other", "OtherType": kind, "Label": label, "Value": values[key]}
        for key, (kind, label) in AUDIT_HEAD_IDENTIFIERS.items()
    ]


def read_audit_head(document: Mapping[str, Any]) -> SnapshotAuditHead | None:
    """The audit head a downloaded snapshot (or live frame) carries in ``audit_head``, or a NIST export in its external
    identifiers; None when it carries none, or a malformed one."""
    found: Any = document.get("audit_head")
    if not isinstance(found, Mapping):
        identifiers = document.get("ExternalIdentifier")
        by_kind = {
            item.get("OtherType"): item.get("Value")
            for item in (identifiers if isinstance(identifiers, list) else [])
            if isinstance(item, Mapping)
        }
        found = {key: by_kind.get(kind) for key, (kind, _label) in AUDIT_HEAD_IDENTIFIERS.items()}
    try:
        event_id, count, chain_hash = int(found["event_id"]), int(found["count"]), found["hash"]
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(chain_hash, str) or not chain_hash:
        return None
    return {"event_id": event_id, "hash": chain_hash, "count": count}
