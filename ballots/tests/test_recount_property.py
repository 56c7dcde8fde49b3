"""For any sequence of entries, the station results equal a naive recount kept alongside, and the audit verifies."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.models import Ballot, TallySheet
from ballots.selectors import get_station_result, list_station_results
from ballots.services import (
    mark_count_complete,
    quarantine_sheet,
    record_ballot,
    release_sheet,
    reopen_count,
    submit_tally_sheet,
    void_ballot,
)
from ballots.tests.support import set_counting
from elections.models import Contest, Election, PollingStation
from trust.audit import find_chain_breaks
from trust.errors import DomainError

STATIONS = 2
CANDIDATES = 3

marks_strategy = st.lists(st.integers(0, CANDIDATES - 1), min_size=0, max_size=2, unique=True)
ballot_op = st.tuples(st.just("ballot"), st.integers(0, STATIONS - 1), marks_strategy, st.booleans())
void_op = st.tuples(st.just("void"), st.integers(0, 1000))
count_op = st.tuples(st.just("complete"), st.integers(0, STATIONS - 1))
station_op = st.tuples(st.sampled_from(["reopen", "quarantine", "release"]), st.integers(0, STATIONS - 1))
sheet_op = st.tuples(
    st.just("sheet"),
    st.integers(0, STATIONS - 1),
    st.lists(marks_strategy, max_size=6),
    st.integers(0, 2),
    st.integers(0, 2),
)
operations = st.lists(st.one_of(ballot_op, void_op, count_op, station_op, sheet_op), min_size=4, max_size=30)


@dataclass
class Shadow:
    """What each station should report, kept by replaying the operations in plain Python."""

    ballots: list[tuple[int, tuple[int, ...], bool]] = field(default_factory=list)  # station, marks, blank
    voided: set[int] = field(default_factory=set)
    complete: set[int] = field(default_factory=set)
    sheet: dict[int, tuple[int, int, int, tuple[int, ...]]] = field(default_factory=dict)
    status: dict[int, str] = field(default_factory=dict)
    automatic: set[int] = field(default_factory=set)

    def ballot_numbers(self, s: int) -> tuple[int, int, int, tuple[int, ...]]:
        kept = [b for i, b in enumerate(self.ballots) if b[0] == s and i not in self.voided]
        votes = tuple(sum(c in marks for _, marks, _ in kept) for c in range(CANDIDATES))
        return len(kept), sum(blank for *_, blank in kept), 0, votes

    def cross_check(self, s: int) -> None:
        if s not in self.sheet or s not in self.complete:
            return
        differ = self.ballot_numbers(s) != self.sheet[s]
        if differ and self.status[s] == "accepted":
            self.status[s] = "quarantined"
            self.automatic.add(s)
        elif not differ and self.status[s] == "quarantined" and s in self.automatic:
            self.status[s] = "accepted"
            self.automatic.discard(s)

    def expected(self, s: int) -> tuple[tuple[int, int, int, tuple[int, ...]], bool] | None:
        if s in self.sheet:
            quarantined = self.status[s] == "quarantined"
            if s in self.complete and self.ballot_numbers(s) != self.sheet[s]:
                quarantined = True
            return self.sheet[s], quarantined
        if s in self.complete:
            return self.ballot_numbers(s), False
        return None


def _run(op: tuple, *, stations: list[PollingStation], contest: Contest, ids: list[int], actor: User, shadow: Shadow,
         key: str) -> None:  # fmt: skip
    kind = op[0]
    if kind == "ballot":
        _, s, marks, blank = op
        ok = s not in shadow.complete
        try:
            record_ballot(
                station=stations[s], contest=contest, kind="blank" if blank or not marks else "marked",
                marks=[] if blank or not marks else [ids[m] for m in marks], actor=actor, idempotency_key=key,
            )  # fmt: skip
        except DomainError:
            assert not ok
        else:
            assert ok
            shadow.ballots.append((s, () if blank or not marks else tuple(marks), blank or not marks))
    elif kind == "void":
        if not shadow.ballots:
            return
        index = op[1] % len(shadow.ballots)
        ok = index not in shadow.voided and shadow.ballots[index][0] not in shadow.complete
        ballot = Ballot.objects.order_by("id")[index]
        try:
            void_ballot(ballot=ballot, reason="mistake", actor=actor, idempotency_key=key)
        except DomainError:
            assert not ok
        else:
            assert ok
            shadow.voided.add(index)
    elif kind == "sheet":
        _, s, sheet_ballots, blank, invalid = op
        votes = tuple(sum(c in marks for marks in sheet_ballots) for c in range(CANDIDATES))
        numbers = (len(sheet_ballots) + blank + invalid, blank, invalid, votes)
        submit_tally_sheet(
            station=stations[s], contest=contest, ballots_cast=numbers[0], blank=blank, invalid=invalid,
            votes=dict(zip(ids, votes, strict=True)), reason="recount", actor=actor, idempotency_key=key,
        )  # fmt: skip
        # A blank-marked ballot of the sheet counts as a valid ballot without votes, which is allowed.
        shadow.sheet[s], shadow.status[s] = numbers, "accepted"
        shadow.automatic.discard(s)
        shadow.cross_check(s)
    else:
        s = op[1]
        sheet = TallySheet.objects.filter(station=stations[s], status__in=TallySheet.CURRENT_STATUSES).first()
        try:
            if kind == "complete":
                ok = s not in shadow.complete
                mark_count_complete(station=stations[s], contest=contest, actor=actor, idempotency_key=key)
            elif kind == "reopen":
                ok = s in shadow.complete
                reopen_count(station=stations[s], contest=contest, reason="again", actor=actor, idempotency_key=key)
            elif sheet is None:
                return
            elif kind == "quarantine":
                ok = shadow.status[s] == "accepted"
                quarantine_sheet(sheet=sheet, reason="looks wrong", actor=actor, idempotency_key=key)
            else:
                ok = shadow.status[s] == "quarantined" and not (
                    s in shadow.complete and shadow.ballot_numbers(s) != shadow.sheet[s]
                )
                release_sheet(sheet=sheet, actor=actor, idempotency_key=key)
        except DomainError:
            assert not ok
            return
        assert ok
        if kind == "complete":
            shadow.complete.add(s)
            shadow.cross_check(s)
        elif kind == "reopen":
            shadow.complete.discard(s)
        else:
            shadow.status[s] = "quarantined" if kind == "quarantine" else "accepted"
            shadow.automatic.discard(s)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_station_results_equal_a_naive_recount(open_vote: Election, official: User, ops: list[tuple]) -> None:
    with transaction.atomic():
        election = set_counting(open_vote, Election.CountingMethod.BOTH)
        contest = election.contests.create(name="Council", slug="council-prop", max_choices=2, seats=2)
        ids = [contest.candidates.create(name_en=f"C{i}", name_ar=f"C{i}", ballot_order=i + 1).pk for i in range(3)]
        stations = list(election.stations.order_by("code")[:STATIONS])
        shadow = Shadow()
        keys = itertools.count()
        for op in ops:
            _run(
                op,
                stations=stations,
                contest=contest,
                ids=ids,
                actor=official,
                shadow=shadow,
                key=f"op-{next(keys):05d}",
            )
        results = {r.station_id: r for r in list_station_results(election=election) if r.contest_id == contest.pk}
        for s, station in enumerate(stations):
            expected = shadow.expected(s)
            got = results.get(station.pk)
            assert got == get_station_result(station=station, contest=contest)
            if expected is None:
                assert got is None
                continue
            assert got is not None
            (cast, blank, invalid, votes), quarantined = expected
            assert (got.ballots_cast, got.blank, got.invalid, got.quarantined) == (cast, blank, invalid, quarantined)
            assert got.votes == dict(zip(ids, votes, strict=True))
        assert find_chain_breaks() is None
        transaction.set_rollback(True)
