"""Whatever is typed or sent, the entry forms and services either accept it or refuse it with a form error or a
domain error: never another exception, and a refused entry writes nothing (no row, no audit event, no key)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.forms import MAX_COUNT, BallotForm, ReasonForm, SheetForm, TurnoutForm, UndoForm
from ballots.models import (
    Ballot,
    BallotMark,
    BallotVoid,
    StationCount,
    TallySheet,
    TallySheetVote,
    TurnoutReport,
)
from ballots.services import (
    record_ballot,
    reopen_count,
    report_turnout,
    submit_tally_sheet,
    void_ballot,
)
from ballots.tests.support import set_counting
from elections.models import Contest, Election, PollingStation
from trust.errors import DomainError
from trust.models import AuditEvent, IdempotencyRecord

ENTRY_MODELS = (
    AuditEvent,
    Ballot,
    BallotMark,
    BallotVoid,
    IdempotencyRecord,
    StationCount,
    TallySheet,
    TallySheetVote,
    TurnoutReport,
)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# What people and scripts actually send: digits in other scripts, signs, exponents, separators, control characters,
# numbers past every column's range, and plain noise.
tricky_numbers = st.sampled_from(
    ["", " ", "0", "-0", "+5", " 12 ", "1e3", "0x10", "3.0", "1,000", "١٢", "１２", "۳", "9" * 5000, "\x00", "1\x00"]
)
typed = st.one_of(tricky_numbers, st.integers(-(2**80), 2**80).map(str), st.text(max_size=40))
any_number = st.one_of(
    st.integers(-(2**70), 2**70), st.integers(0, 1000), st.booleans(), st.floats(), st.text(max_size=4), st.none()
)
free_text = st.one_of(st.text(max_size=200), st.sampled_from(["\x00", "a\x00b", " ", "\u202e", "x" * 10_000]))
# Keys: noise, and well-formed keys with a trailing line break, whitespace or one character too many.
keys = st.one_of(
    st.text(max_size=140),
    st.from_regex(r"\A[A-Za-z0-9_.:\-]{8,128}\Z").flatmap(lambda k: st.sampled_from([k, k + "\n", f" {k}", k + "x"])),
)
moments = st.one_of(
    st.none(),
    st.datetimes(timezones=st.none()),
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-12))]),
    ),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(1, 1, 1, 23), timezones=st.just(dt.UTC)).map(
        lambda d: d.astimezone(dt.timezone(dt.timedelta(hours=14)))
    ),
)


def row_counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in ENTRY_MODELS)


def accepted_or_refused_cleanly(write: Callable[[], Any]) -> bool:
    """Run one write in a transaction that is rolled back afterwards; True if it was accepted. A refusal must be a
    domain error and must leave every entry table as it was."""
    with transaction.atomic():
        before = row_counts()
        refusal: DomainError | None = None
        try:
            write()
        except DomainError as error:
            refusal = error
        after = row_counts()
        transaction.set_rollback(True)
    if refusal is not None:
        assert refusal.message
        assert after == before, f"{refusal.code} left rows behind"
        return False
    assert after != before
    return True


@pytest.fixture
def both(open_vote: Election) -> Election:
    return set_counting(open_vote, Election.CountingMethod.BOTH)


@pytest.fixture
def candidate_ids(contest: Contest) -> list[int]:
    return list(contest.candidates.order_by("ballot_order").values_list("pk", flat=True))


# --- forms -----------------------------------------------------------------------------------------------------------


@PROPERTY
@given(data=st.dictionaries(st.sampled_from(["ballots_cast", "blank", "invalid", "reason", "x"]), typed), extra=typed)
def test_the_sheet_form_takes_any_text_and_cleans_only_counts_in_range(
    contest: Contest, data: dict[str, str], extra: str
) -> None:
    candidates = list(contest.candidates.all())
    posted = {"idempotency_key": "form-0001", **data, **{SheetForm.vote_field(c.pk): extra for c in candidates}}
    form = SheetForm(posted, candidates=candidates, show_reason=True)
    if form.is_valid():
        counts = [form.cleaned_data[n] for n in ("ballots_cast", "blank", "invalid")] + list(form.votes().values())
        assert all(isinstance(n, int) and 0 <= n <= MAX_COUNT for n in counts)
        assert "\x00" not in form.cleaned_data["reason"]
    else:
        assert all(form.errors.values())


@PROPERTY
@given(marks=st.lists(typed, max_size=5), kind=typed, key=typed, reason=typed, ballot_id=typed, voters=typed)
def test_the_other_entry_forms_take_any_text_without_an_exception(
    contest: Contest, marks: list[str], kind: str, key: str, reason: str, ballot_id: str, voters: str
) -> None:
    candidates = list(contest.candidates.all())
    forms = [
        BallotForm({"marks": marks, "kind": kind, "idempotency_key": key}, candidates=candidates),
        ReasonForm({"reason": reason, "idempotency_key": key}),
        UndoForm({"reason": reason, "ballot_id": ballot_id, "idempotency_key": key}),
        TurnoutForm({"voters": voters, "idempotency_key": key}),
    ]
    for form in forms:
        if form.is_valid():
            assert all("\x00" not in str(v) for v in form.cleaned_data.values())
            assert len(form.cleaned_data["idempotency_key"]) <= 128
    if forms[0].is_valid():
        assert set(forms[0].cleaned_data["marks"]) <= {c.pk for c in candidates}


@PROPERTY
@given(cast=typed, blank=typed, invalid=typed, votes=st.lists(typed, min_size=2, max_size=2), reason=typed)
def test_any_posted_sheet_is_saved_or_shown_again_with_its_errors(
    client: Client, official: User, station: PollingStation, contest: Contest, candidate_ids: list[int], **posted: Any
) -> None:
    client.force_login(official)
    data = {k: posted[k] for k in ("reason",)} | {"ballots_cast": posted["cast"], "blank": posted["blank"]}
    data |= {"invalid": posted["invalid"], "idempotency_key": "form-sheet-0001"}
    data |= {SheetForm.vote_field(c): v for c, v in zip(candidate_ids, posted["votes"], strict=True)}
    with transaction.atomic():
        before = row_counts()
        response = client.post(f"/entry/stations/{station.pk}/contests/{contest.pk}/sheet/", data)
        assert response.status_code in {302, 422}
        assert (response.status_code == 302) == (row_counts() != before)
        transaction.set_rollback(True)


# --- services --------------------------------------------------------------------------------------------------------


@st.composite
def sheet_numbers(draw: st.DrawFn, candidate_ids: list[int]) -> tuple[Any, Any, Any, dict[Any, Any]]:
    """Mostly sheets that add up (so the later rules and the writes are reached), some with one part broken."""
    if draw(st.booleans()):
        ids = st.one_of(st.sampled_from(candidate_ids), st.integers(-(2**70), 2**70), st.text(max_size=3))
        return draw(any_number), draw(any_number), draw(any_number), draw(st.dictionaries(ids, any_number, max_size=4))
    votes = {c: draw(st.integers(0, 300)) for c in candidate_ids}
    blank, invalid = draw(st.integers(0, 100)), draw(st.integers(0, 100))
    cast = sum(votes.values()) + blank + invalid + draw(st.sampled_from([0, 0, 0, 1, -1, 2**63]))
    return cast, blank, invalid, votes


@PROPERTY
@given(numbers=st.data(), reason=free_text, key=keys)
def test_any_tally_sheet_is_accepted_or_refused_without_a_trace(
    official: User, station: PollingStation, contest: Contest, candidate_ids: list[int], **sent: Any
) -> None:
    cast, blank, invalid, votes = sent["numbers"].draw(sheet_numbers(candidate_ids))
    accepted_or_refused_cleanly(
        lambda: submit_tally_sheet(
            station=station,
            contest=contest,
            ballots_cast=cast,
            blank=blank,
            invalid=invalid,
            votes=votes,
            reason=sent["reason"],
            actor=official,
            idempotency_key=sent["key"],
        )
    )


@PROPERTY
@given(
    kind=st.one_of(st.sampled_from(["marked", "blank", "invalid"]), st.text(max_size=10)),
    marks=st.lists(st.one_of(st.integers(-(2**70), 2**70), st.booleans(), st.text(max_size=3)), max_size=4),
    real=st.lists(st.integers(0, 1), max_size=3),
    key=keys,
    reason=free_text,
)
def test_any_ballot_and_void_is_accepted_or_refused_without_a_trace(
    official: User, both: Election, station: PollingStation, contest: Contest, candidate_ids: list[int], **sent: Any
) -> None:
    marks = sent["marks"] + [candidate_ids[i] for i in sent["real"]]
    accepted_or_refused_cleanly(
        lambda: record_ballot(
            station=station,
            contest=contest,
            kind=sent["kind"],
            marks=marks,
            actor=official,
            idempotency_key=sent["key"],
        )
    )
    ballot = record_ballot(
        station=station, contest=contest, kind="blank", marks=[], actor=official, idempotency_key="seed-ballot"
    ).obj
    accepted_or_refused_cleanly(
        lambda: void_ballot(ballot=ballot, reason=sent["reason"], actor=official, idempotency_key=sent["key"])
    )
    accepted_or_refused_cleanly(
        lambda: reopen_count(
            station=station, contest=contest, reason=sent["reason"], actor=official, idempotency_key=sent["key"]
        )
    )


@PROPERTY
@given(voters=st.one_of(any_number, st.integers(0, 800)), at=moments, key=keys)
def test_any_turnout_report_is_accepted_or_refused_without_a_trace(
    official: User, station: PollingStation, voters: Any, at: dt.datetime | None, key: str
) -> None:
    accepted_or_refused_cleanly(
        lambda: report_turnout(station=station, voters=voters, at=at, actor=official, idempotency_key=key)
    )


# --- defects these properties found ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["\x00", "late\x00count"])
def test_a_reason_holding_a_nul_character_is_refused_naming_the_field(
    official: User, both: Election, station: PollingStation, contest: Contest, candidate_ids: list[int], reason: str
) -> None:
    """PostgreSQL cannot store NUL: it used to fail as a database error (a 503 through the API)."""
    ballot = record_ballot(
        station=station, contest=contest, kind="blank", marks=[], actor=official, idempotency_key="nul-ballot"
    ).obj
    writes = [
        lambda: void_ballot(ballot=ballot, reason=reason, actor=official, idempotency_key="nul-void-1"),
        lambda: submit_tally_sheet(
            station=station,
            contest=contest,
            ballots_cast=1,
            blank=1,
            invalid=0,
            votes=dict.fromkeys(candidate_ids, 0),
            reason=reason,
            actor=official,
            idempotency_key="nul-sheet-1",
        ),
    ]
    for write in writes:
        before = row_counts()
        with pytest.raises(DomainError) as refused:
            write()
        assert (refused.value.code, refused.value.details) == ("text_invalid", {"field": "reason"})
        assert row_counts() == before


def test_a_key_with_a_trailing_line_break_is_refused(official: User, station: PollingStation) -> None:
    """The key pattern ended in "$", which also matches before a final line break: 128 characters and a line break
    passed and then overflowed the 128-character column."""
    before = row_counts()
    with pytest.raises(DomainError) as refused:
        report_turnout(station=station, voters=1, actor=official, idempotency_key="k" * 128 + "\n")
    assert refused.value.code == "idempotency_key_invalid"
    assert row_counts() == before
