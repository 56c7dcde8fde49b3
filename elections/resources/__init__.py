"""How an election's configuration (vote types, districts, polling stations, electoral districts, parties, contests
and candidates) is read from and written to CSV and XLSX files (the formats: ``docs/imports.md``).

A row names related objects by their code within one election (a station's district by district code, an electoral
district's members by their codes, a candidate's contest by slug and party by abbreviation), never by database
id, so a file exported from one election imports unchanged into the same or another election. The election itself
is not a column: the official chooses it.
"""

from elections.resources.base import ElectionImportResult, ElectionResource
from elections.resources.cells import (
    drop_trailing_blank_rows,
    neutralise_formula,
    normalise_header,
    restore_formula,
    spreadsheet_row,
)
from elections.resources.configuration import (
    CandidateResource,
    ContestResource,
    DistrictResource,
    PartyResource,
    PollingStationResource,
    VoteTypeResource,
)
from elections.resources.electoral_districts import ElectoralDistrictResource

__all__ = [
    "CandidateResource",
    "ContestResource",
    "DistrictResource",
    "ElectionImportResult",
    "ElectionResource",
    "ElectoralDistrictResource",
    "PartyResource",
    "PollingStationResource",
    "VoteTypeResource",
    "drop_trailing_blank_rows",
    "neutralise_formula",
    "normalise_header",
    "restore_formula",
    "spreadsheet_row",
]
