"""The part of the NIST SP 1500-100 v2 (Election Results Common Data Format) JSON form that the export uses, for mypy
and the OpenAPI document. Keys such as ``@type`` are not Python names, hence the functional form; the names and
required keys follow NIST's own JSON schema (``results/tests/data/nist/``)."""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict

NistLanguageString = TypedDict("NistLanguageString", {"@type": str, "Language": str, "Content": str})
NistText = TypedDict("NistText", {"@type": str, "Text": list[NistLanguageString]})
NistExternalIdentifier = TypedDict(
    "NistExternalIdentifier", {"@type": str, "Type": str, "OtherType": str, "Label": str, "Value": str}
)
NistVoteCounts = TypedDict(
    "NistVoteCounts", {"@type": str, "GpUnitId": str, "Type": str, "OtherType": NotRequired[str], "Count": int}
)
NistOtherCounts = TypedDict("NistOtherCounts", {"@type": str, "GpUnitId": str, "Undervotes": int, "Overvotes": int})
NistReportingUnit = TypedDict(
    "NistReportingUnit",
    {
        "@type": str,
        "@id": str,
        "Name": NistText,
        "Type": str,
        "OtherType": NotRequired[str],
        "ComposingGpUnitIds": NotRequired[list[str]],
        "VotersRegistered": NotRequired[int],
    },
)
NistParty = TypedDict(
    "NistParty",
    {"@type": str, "@id": str, "Name": NistText, "Abbreviation": NotRequired[NistText], "Color": str},
)
NistCandidate = TypedDict(
    "NistCandidate", {"@type": str, "@id": str, "BallotName": NistText, "PartyId": NotRequired[str]}
)
NistCandidateSelection = TypedDict(
    "NistCandidateSelection",
    {
        "@type": str,
        "@id": str,
        "CandidateIds": list[str],
        "IsWriteIn": NotRequired[bool],
        "SequenceOrder": int,
        "VoteCounts": list[NistVoteCounts],
    },
)
NistBallotMeasureSelection = TypedDict(
    "NistBallotMeasureSelection",
    {"@type": str, "@id": str, "Selection": NistText, "SequenceOrder": int, "VoteCounts": list[NistVoteCounts]},
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
        "SubUnitsReported": int,
        "TotalSubUnits": int,
        "ContestSelection": list[NistCandidateSelection],
        "OtherCounts": list[NistOtherCounts],
    },
)
NistBallotMeasureContest = TypedDict(
    "NistBallotMeasureContest",
    {
        "@type": str,
        "@id": str,
        "Name": str,
        "ElectionDistrictId": str,
        "SubUnitsReported": int,
        "TotalSubUnits": int,
        "ContestSelection": list[NistBallotMeasureSelection],
        "OtherCounts": list[NistOtherCounts],
    },
)
NistElection = TypedDict(
    "NistElection",
    {
        "@type": str,
        "Name": NistText,
        "StartDate": str,
        "EndDate": str,
        "Type": str,
        "ElectionScopeId": str,
        "Candidate": list[NistCandidate],
        "Contest": list[NistCandidateContest | NistBallotMeasureContest],
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
        "ExternalIdentifier": NotRequired[list[NistExternalIdentifier]],
        "Party": list[NistParty],
        "GpUnit": list[NistReportingUnit],
        "Election": list[NistElection],
    },
)
