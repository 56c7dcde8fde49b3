"""What keeps entry fast under load: a bounded number of queries per sheet, stations that do not wait for each other,
and the audit chain appended at the end of the transaction, still one verifiable line."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test import Client

from ballots.models import TallySheet
from ballots.services.locking import lock_station
from ballots.tests.support import submit_sheet
from elections.models import Candidate, Contest, Election, PollingStation
from elections.services import close_election
from trust.audit import appended_at_end, find_chain_breaks, record_audit_event
from trust.models import AuditEvent
from trust.tokens import issue_api_token

# Queries for one accepted correction through the API with a bearer token, from authentication to commit (the
# recount runs after commit, outside the request's own work). Raise it only for a reason. SQLite takes one more: it
# reads the audit chain's last hash itself, where PostgreSQL's append function reads, hashes and inserts in one call.
# One query reads the election's vote types, which decide the shape a sheet must have.
# Three read back the sheet and its vote rows for the digest its audit event carries (trust.rows).
SHEET_QUERY_BUDGET = {"postgresql": 18, "sqlite": 19}


def _sheet(station: PollingStation, candidates: list[Candidate], votes: list[int], reason: str) -> dict[str, Any]:
    return {
        "station_id": station.pk,
        "contest_id": candidates[0].contest_id,
        "ballots_cast": sum(votes),
        "blank": 0,
        "invalid": 0,
        "votes": {str(c.pk): n for c, n in zip(candidates, votes, strict=True)},
        "reason": reason,
    }


@pytest.mark.django_db
def test_an_accepted_sheet_stays_within_its_query_budget(
    official: User,
    station: PollingStation,
    contest: Contest,
    new_key: Callable[[], str],
    django_assert_max_num_queries: Any,
) -> None:
    candidates = list(contest.candidates.order_by("ballot_order"))
    secret = issue_api_token(user=official, name="tablet", issued_by=official)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def send(votes: list[int], reason: str) -> Any:
        body = json.dumps(_sheet(station, candidates, votes, reason))
        path = "/api/v1/entry/tally-sheets"
        return client.post(path, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=new_key())

    assert send([3, 2], "").status_code == 201
    with django_assert_max_num_queries(SHEET_QUERY_BUDGET[connection.vendor]):
        response = send([4, 2], "Recounted")

    assert response.status_code == 201
    assert response.json()["version"] == 2
    assert list(TallySheet.objects.filter(station=station).values_list("version", "status").order_by("version")) == [
        (1, TallySheet.Status.SUPERSEDED),
        (2, TallySheet.Status.ACCEPTED),
    ]
    assert AuditEvent.objects.filter(action="tally_sheet.submit").count() == 2
    assert find_chain_breaks() is None


@pytest.mark.django_db
def test_held_audit_events_are_dropped_when_the_block_fails(election: Election, official: User) -> None:
    def refused_change() -> None:
        with transaction.atomic(), appended_at_end():
            record_audit_event(action="test.touch", obj=election, actor=official)
            raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        refused_change()
    with transaction.atomic(), appended_at_end():
        record_audit_event(action="test.touch", obj=election, actor=official)
        assert AuditEvent.objects.count() == 0  # held until the block ends

    assert AuditEvent.objects.count() == 1
    assert find_chain_breaks() is None


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, threading.Event, list[BaseException]]:
    done, errors = threading.Event(), []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, done, errors


@contextmanager
def held_in_a_transaction(take: Callable[[], object]) -> Iterator[list[BaseException]]:
    """Run ``take`` (a lock, a write) in a transaction of another thread, keep that transaction open for the block,
    then let it commit; yields the thread's errors."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            take()
            holding.set()
            release.wait(timeout=30)

    holder, _held, errors = _in_thread(hold)
    try:
        assert holding.wait(timeout=10)
        yield errors
    finally:
        release.set()
        holder.join()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_entries_at_two_stations_of_one_election_do_not_wait_for_each_other(
    official: User, station: PollingStation, other_station: PollingStation, contest: Contest
) -> None:
    with held_in_a_transaction(lambda: lock_station(station, official)) as holder_errors:
        writer, written, errors = _in_thread(
            lambda: submit_sheet(station=other_station, contest=contest, actor=official, key="other-0001", votes=[3, 2])
        )
        # Before, the lock on one station also locked its election's row, and this entry waited for the other.
        assert written.wait(timeout=10), "an entry at another station waited for the first station's transaction"
        writer.join()
        assert errors == []
    assert holder_errors == []
    assert TallySheet.objects.filter(station=other_station).count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_closing_an_election_waits_for_an_entry_in_progress(official: User, station: PollingStation) -> None:
    with held_in_a_transaction(lambda: lock_station(station, official)) as holder_errors:
        closer, closed, errors = _in_thread(lambda: close_election(election=station.election, actor=official))
        time.sleep(0.5)
        # The entry read the election open; it must commit before the election can close.
        assert not closed.is_set(), "the election closed while an entry that found it open was still running"
    assert closed.wait(timeout=10)
    closer.join()
    assert holder_errors == []
    assert errors == []
    assert Election.objects.get(pk=station.election_id).status == Election.Status.CLOSED


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_entry_that_waited_for_a_closing_finds_the_election_closed(
    clerk: User, station: PollingStation, contest: Contest
) -> None:
    def close_slowly() -> None:
        election = Election.objects.select_for_update().get(pk=station.election_id)
        election.status = Election.Status.CLOSED
        election.save(update_fields=["status"])

    with held_in_a_transaction(close_slowly) as closer_errors:
        writer, written, errors = _in_thread(
            lambda: submit_sheet(station=station, contest=contest, actor=clerk, key="late-0001", votes=[3, 2])
        )
        time.sleep(0.5)
        assert not written.is_set(), "an entry went ahead while its election was being closed"
    writer.join()
    assert closer_errors == []
    # The station's lock statement reads the election under its share lock: the status it sees is the committed one.
    assert [getattr(e, "code", None) for e in errors] == ["election_not_open"]
    assert not TallySheet.objects.filter(station=station).exists()
