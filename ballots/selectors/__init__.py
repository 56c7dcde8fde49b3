"""Every read of staff entry: station results and sheet history (``station_results``), turnout (``turnout``) and
the entry site's progress and review queue (``overview``), and what can be done next with a tally sheet
(``sheet_steps``, imported by its own path: it reads the rules, which read this package). This package is the one
place to find them all."""

from __future__ import annotations

from ballots.selectors.overview import (
    ContestProgress,
    ReviewItem,
    SheetField,
    StationOverview,
    get_ballot_at,
    get_contest_at_station,
    get_last_ballot,
    get_open_sheet,
    get_review_item,
    get_station_overview,
    list_my_stations,
    list_review_queue,
    list_station_overviews,
)
from ballots.selectors.station_results import (
    SOURCE_BALLOTS,
    SOURCE_BOTH,
    SOURCE_SHEET,
    Numbers,
    SheetVersion,
    StationResult,
    count_ballots,
    describe_difference,
    get_station_result,
    is_count_complete,
    list_sheet_history,
    list_station_results,
    sheet_numbers,
)
from ballots.selectors.turnout import StationTurnout, get_station_turnout, list_turnout, list_turnout_history

__all__ = [
    "SOURCE_BALLOTS",
    "SOURCE_BOTH",
    "SOURCE_SHEET",
    "ContestProgress",
    "Numbers",
    "ReviewItem",
    "SheetField",
    "SheetVersion",
    "StationOverview",
    "StationResult",
    "StationTurnout",
    "count_ballots",
    "describe_difference",
    "get_ballot_at",
    "get_contest_at_station",
    "get_last_ballot",
    "get_open_sheet",
    "get_review_item",
    "get_station_overview",
    "get_station_result",
    "get_station_turnout",
    "is_count_complete",
    "list_my_stations",
    "list_review_queue",
    "list_sheet_history",
    "list_station_overviews",
    "list_station_results",
    "list_turnout",
    "list_turnout_history",
    "sheet_numbers",
]
