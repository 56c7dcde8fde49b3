"""Exactly once: a replayed key changes nothing, a reused key with another body is refused, races write once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connections

from ballots.models import Ballot, TallySheet
from ballots.services import BallotEntry, quarantine_sheet, record_ballot, record_ballots_batch
from ballots.tests.support import set_counting, submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from trust.audit import find_chain_breaks
from trust.errors import DomainError, EntryRejected
from trust.models import AuditEvent, IdempotencyRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def by_ballot(open_vote: Election) -> Election:
    return set_counting(open_vote, Election.CountingMethod.BALLOTS)


def test_replayed_key_is_counted_once(
    by_ballot: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], clerk: User
) -> None:
    first = record_ballot(
        station=station,
        contest=contest,
        kind="marked",
        marks=[candidates[0].pk],
        actor=clerk,
        idempotency_key="key-0001",
    )
    again = record_ballot(
        station=station,
        contest=contest,
        kind="marked",
        marks=[candidates[0].pk],
        actor=clerk,
        idempotency_key="key-0001",
    )
    assert not first.replayed
    assert again.replayed
    assert (again.created, again.body, again.obj) == (first.created, first.body, first.obj)
    assert Ballot.objects.count() == 1
    assert AuditEvent.objects.filter(action="ballot.record").count() == 1


def test_same_key_with_a_different_body_is_refused(
    by_ballot: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], clerk: User
) -> None:
    record_ballot(
        station=station,
        contest=contest,
        kind="marked",
        marks=[candidates[0].pk],
        actor=clerk,
        idempotency_key="key-0002",
    )
    with pytest.raises(EntryRejected) as refused:
        record_ballot(
            station=station,
            contest=contest,
            kind="marked",
            marks=[candidates[1].pk],
            actor=clerk,
            idempotency_key="key-0002",
        )
    assert refused.value.code == "idempotency_key_reused"
    assert refused.value.details == {"field": "idempotency_key"}
    assert list(Ballot.objects.values_list("candidates", flat=True)) == [candidates[0].pk]


def test_a_replay_answers_what_was_first_answered_even_after_later_changes(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User, north_supervisor: User
) -> None:
    first = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0001", votes=[10, 5])
    quarantine_sheet(sheet=first.obj, reason="Torn form", actor=north_supervisor, idempotency_key="quarantine-1")
    again = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0001", votes=[10, 5])
    assert again.replayed
    assert again.body["status"] == "accepted"
    assert TallySheet.objects.count() == 1


def test_a_refused_entry_stores_nothing_so_its_correction_may_reuse_the_key(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    with pytest.raises(EntryRejected):
        submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0002", votes=[10, 5], cast=16)
    assert not IdempotencyRecord.objects.exists()
    fixed = submit_sheet(station=station, contest=contest, actor=clerk, key="sheet-0002", votes=[10, 6])
    assert fixed.obj.status == "accepted"


def test_keys_belong_to_their_user(
    by_ballot: Election,
    station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    clerk: User,
    second_clerk: User,
) -> None:
    for user in (clerk, second_clerk):
        record_ballot(station=station, contest=contest, kind="blank", marks=[], actor=user, idempotency_key="shared-1")
    assert Ballot.objects.count() == 2


@pytest.mark.parametrize("key", ["", "short", "has spaces in it", "x" * 129])
def test_an_entry_without_a_usable_key_is_refused(
    by_ballot: Election, station: PollingStation, contest: Contest, clerk: User, key: str
) -> None:
    with pytest.raises(EntryRejected) as refused:
        record_ballot(station=station, contest=contest, kind="blank", marks=[], actor=clerk, idempotency_key=key)
    assert refused.value.details == {"field": "idempotency_key"}
    assert not Ballot.objects.exists()


def test_a_batch_gives_each_item_its_own_outcome(
    by_ballot: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    clerk: User,
) -> None:
    record_ballot(station=station, contest=contest, kind="blank", marks=[], actor=clerk, idempotency_key="batch-000")
    both = [c.pk for c in candidates]
    items = [
        BallotEntry(station, contest, "marked", [candidates[0].pk], "batch-001"),
        BallotEntry(station, contest, "marked", both, "batch-002"),
        BallotEntry(station, contest, "blank", [], "batch-000"),
        BallotEntry(other_station, contest, "invalid", [], "batch-003"),
        BallotEntry(station, contest, "invalid", [], "batch-004"),
    ]
    outcomes = record_ballots_batch(items=items, actor=clerk)
    assert [o.index for o in outcomes] == [0, 1, 2, 3, 4]
    assert [o.error.code if o.error else "ok" for o in outcomes] == ["ok", "too_many_marks", "ok", "not_found", "ok"]
    assert [o.recorded.replayed for o in outcomes if o.recorded] == [False, True, False]
    assert Ballot.objects.count() == 3
    assert find_chain_breaks() is None


def _race(workers: int, attempt: Callable[[], object]) -> list[object]:
    """Run ``attempt`` in ``workers`` threads at once, each on its own database connection."""
    barrier = threading.Barrier(workers)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome: object = attempt()
        except DomainError as error:
            outcome = error
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_with_one_key_write_once(
    by_ballot: Election, station: PollingStation, contest: Contest, candidates: list[Candidate], clerk: User
) -> None:
    def attempt() -> object:
        return record_ballot(
            station=station,
            contest=contest,
            kind="marked",
            marks=[candidates[1].pk],
            actor=clerk,
            idempotency_key="race-key-1",
        )

    outcomes = _race(8, attempt)
    assert Ballot.objects.count() == 1
    ballot_id = Ballot.objects.get().pk
    recorded = [o for o in outcomes if not isinstance(o, DomainError)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert all(getattr(o, "body", {}).get("ballot_id") == ballot_id for o in recorded)
    assert sum(not getattr(o, "replayed", True) for o in recorded) == 1
    assert all(error.code == "idempotency_conflict" for error in refused)
    assert IdempotencyRecord.objects.count() == 1
    assert AuditEvent.objects.filter(action="ballot.record").count() == 1
    assert find_chain_breaks() is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sheets_with_one_key_write_one_version(
    open_vote: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    outcomes = _race(
        6, lambda: submit_sheet(station=station, contest=contest, actor=clerk, key="race-sheet-1", votes=[7, 3])
    )
    assert TallySheet.objects.count() == 1
    assert not any(isinstance(o, DomainError) and o.code != "idempotency_conflict" for o in outcomes)
    assert find_chain_breaks() is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_ballots_with_different_keys_are_all_counted(
    by_ballot: Election, station: PollingStation, contest: Contest, clerk: User
) -> None:
    counter = iter(range(100))
    lock = threading.Lock()

    def attempt() -> object:
        with lock:
            n = next(counter)
        return record_ballot(
            station=station, contest=contest, kind="blank", marks=[], actor=clerk, idempotency_key=f"parallel-{n:04d}"
        )

    outcomes = _race(8, attempt)
    assert not any(isinstance(o, DomainError) for o in outcomes)
    assert Ballot.objects.count() == 8
    assert find_chain_breaks() is None
