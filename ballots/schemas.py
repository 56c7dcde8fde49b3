"""The entry API's request and response bodies. Ids and counts are bounded so that no number a client sends can
overflow a database column."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator

from ballots.services import MAX_BATCH, MAX_SHEET_BATCH
from trust.errors import ErrorBody

MAX_ID = 2**63 - 1
MAX_COUNT = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _digits_only(value: object) -> object:
    """A query string's number must be written as one: pydantic would otherwise read "1.0" as 1."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written with the digits 0-9")
    return value


# An id read from the query string, where every value arrives as text.
QueryId = Annotated[int, BeforeValidator(_digits_only), Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class CandidateOut(Schema):
    id: int
    name_en: str
    name_ar: str
    ballot_order: int
    is_write_in: bool


class VoteTypeOut(Schema):
    code: str
    name: str
    name_ar: str


class ContestProgressOut(Schema):
    id: int
    name: str
    kind: str = Field(description="candidates, or measure (a ballot measure whose choices are its candidates)")
    max_choices: int
    candidates: list[CandidateOut]
    ballots_entered: int
    count_complete: bool
    sheet_status: str | None
    sheet_version: int | None


class StationOut(Schema):
    id: int
    code: str
    name: str
    district: str
    registered_voters: int | None = Field(description="None when unknown")
    election_id: int
    election_name: str
    election_status: str
    counting_method: str
    double_entry: bool
    counts_blank_and_invalid: bool
    counts_undervotes_and_overvotes: bool
    vote_types: list[VoteTypeOut] = Field(
        description="When not empty, a tally sheet gives each candidate's votes per vote type (votes_by_type)."
    )
    turnout_voters: int | None
    turnout_at: dt.datetime | None
    contests: list[ContestProgressOut]


class BallotIn(Schema):
    station_id: Id
    contest_id: Id
    kind: Literal["marked", "blank", "invalid"]
    marks: list[Id] = Field(default_factory=list, max_length=100)


class BallotOut(Schema):
    ballot_id: int
    station_id: int
    contest_id: int
    kind: str
    marks: list[int]
    entered_at: dt.datetime


class BatchItemIn(BallotIn):
    idempotency_key: str | None = Field(
        default=None,
        max_length=128,
        description="This ballot's own key; when left out it is the request's key followed by ':' and the index.",
    )


class BatchIn(Schema):
    items: list[BatchItemIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOutcomeOut(Schema):
    index: int
    status: int
    replayed: bool
    ballot: BallotOut | None
    error: ErrorBody | None


class BatchOut(Schema):
    recorded: int
    refused: int
    outcomes: list[BatchOutcomeOut]


class SheetIn(Schema):
    station_id: Id
    contest_id: Id
    ballots_cast: Count
    blank: Count = Field(default=0, description="Where the election counts blank and invalid ballots.")
    invalid: Count = Field(default=0, description="Where the election counts blank and invalid ballots.")
    undervotes: Count = Field(default=0, description="Where the election counts undervotes and overvotes.")
    overvotes: Count = Field(default=0, description="Where the election counts undervotes and overvotes.")
    votes: dict[Id, Count] = Field(
        default_factory=dict,
        description="Votes per candidate id; every candidate of the contest (0 if none). May be left out where the "
        "election reports vote types: the sums of votes_by_type are used.",
    )
    votes_by_type: dict[Id, dict[Annotated[str, Field(max_length=32)], Count]] = Field(
        default_factory=dict,
        description="Where the election reports vote types: per candidate id, votes per vote type code, every type "
        "of the election for every candidate.",
    )
    reason: str = Field(default="", max_length=2000, description="Required for a correction.")


class SheetOut(Schema):
    sheet_id: int
    version: int
    status: str
    ballots_cast: int
    blank: int
    invalid: int
    undervotes: int = 0
    overvotes: int = 0
    votes: dict[str, int]
    votes_by_type: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="per candidate id, votes per vote type code"
    )
    reason: str
    quarantine_reason: str
    other_versions: dict[str, str]


class SheetBatchItemIn(SheetIn):
    idempotency_key: str | None = Field(
        default=None,
        max_length=128,
        description="This sheet's own key; when left out it is the request's key followed by ':' and the index.",
    )


class SheetBatchIn(Schema):
    items: list[SheetBatchItemIn] = Field(min_length=1, max_length=MAX_SHEET_BATCH)


class SheetBatchOutcomeOut(Schema):
    index: int
    status: int = Field(description="What the single endpoint would answer: 201 entered, 4xx refused")
    replayed: bool
    sheet: SheetOut | None
    error: ErrorBody | None


class SheetBatchOut(Schema):
    recorded: int = Field(description="Sheets entered, replays included")
    refused: int
    outcomes: list[SheetBatchOutcomeOut]


class TurnoutIn(Schema):
    station_id: Id
    voters: Count
    at: dt.datetime | None = Field(default=None, description="When, with a time zone; now when left out.")


class TurnoutOut(Schema):
    turnout_id: int
    station_id: int
    voters: int
    at: dt.datetime


class VoidIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class VoidOut(Schema):
    void_id: int
    ballot_id: int
    reason: str


class StationFilter(Schema):
    election_id: QueryId | None = None
