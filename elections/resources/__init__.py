"""How districts, polling stations, parties and candidates are read from and written to CSV and XLSX files.

A row names related objects by their code within one election (a station's district by district code, a candidate's
contest by slug and party by abbreviation), never by database id, so a file exported from one election imports
unchanged into the same or another election. The election itself is not a column: the official chooses it.
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
    DistrictResource,
    PartyResource,
    PollingStationResource,
)

__all__ = [
    "CandidateResource",
    "DistrictResource",
    "ElectionImportResult",
    "ElectionResource",
    "PartyResource",
    "PollingStationResource",
    "drop_trailing_blank_rows",
    "neutralise_formula",
    "normalise_header",
    "restore_formula",
    "spreadsheet_row",
]
