"""A batch of tally sheets: each sheet its own entry under the same rules as one sheet alone, each with its own
answer, one refused sheet holding up no other, the audit chain and row digests as single entries leave them."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballots.models import TallySheet
from ballots.selectors import list_station_results
from ballots.services import MAX_SHEET_BATCH, SheetEntry, submit_tally_sheet, submit_tally_sheets
from ballots.tests.support import set_counting
from elections.models import Candidate, Election, PollingStation
from trust.audit import find_chain_breaks
from trust.changes import ResultsChange, ResultsChangeHandler, register_results_handler, unregister_results_handler
from trust.errors import DomainError
from trust.models import AuditEvent, IdempotencyRecord
from trust.rows import check_entry_rows

BATCH = "/api/v1/entry/tally-sheets/batch"


def sheet(station: PollingStation, candidates: list[Candidate], votes: list[int], **extra: Any) -> dict[str, Any]:
    return {
        "station_id": station.pk,
        "contest_id": candidates[0].contest_id,
        "ballots_cast": extra.pop("ballots_cast", sum(votes)),
        "votes": {str(c.pk): n for c, n in zip(candidates, votes, strict=True)},
        **extra,
    }


def entry(station: PollingStation, candidates: list[Candidate], votes: list[int], key: str, **extra: Any) -> SheetEntry:
    return SheetEntry(
        station_id=station.pk,
        contest_id=candidates[0].contest_id,
        ballots_cast=extra.pop("ballots_cast", sum(votes)),
        votes={c.pk: n for c, n in zip(candidates, votes, strict=True)},
        idempotency_key=key,
        **extra,
    )


def post_batch(client: Client, items: list[dict[str, Any]], key: str = "batch-request-1") -> Any:
    return client.post(BATCH, data=json.dumps({"items": items}), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key)  # fmt: skip


def assert_audit_verifies() -> None:
    assert find_chain_breaks() is None
    report = check_entry_rows()
    assert report.changed == []
    assert report.unaudited == []


@pytest.fixture
def official_client(client: Client, official: User, open_vote: Election) -> Client:
    client.force_login(official)
    return client


@pytest.fixture
def clerk_client(client: Client, clerk: User, open_vote: Election) -> Client:
    client.force_login(clerk)
    return client


def test_each_sheet_of_a_batch_gets_its_own_answer_and_a_bad_one_blocks_no_other(
    clerk_client: Client,
    station: PollingStation,
    other_station: PollingStation,
    candidates: list[Candidate],
) -> None:
    items = [
        {**sheet(station, candidates, [30, 20]), "idempotency_key": "sheet-good-0001"},
        {**sheet(station, candidates, [30, 20], ballots_cast=49)},
        {**sheet(other_station, candidates, [1, 1])},
        {**sheet(station, candidates, [1, 1]), "station_id": 999_999},
        {**sheet(station, candidates, [1, 1]), "contest_id": 999_999},
        {**sheet(station, candidates, [30, 20]), "idempotency_key": "sheet-good-0001"},
        {**sheet(station, candidates, [31, 20]), "idempotency_key": "sheet-good-0001"},
    ]
    response = post_batch(clerk_client, items)

    assert response.status_code == 200
    body = response.json()
    assert [o["status"] for o in body["outcomes"]] == [201, 422, 404, 404, 404, 201, 422]
    assert [o["index"] for o in body["outcomes"]] == list(range(7))
    assert body["outcomes"][1]["error"]["code"] == "sheet_does_not_add_up"
    assert body["outcomes"][1]["error"]["details"]["field"] == "ballots_cast"
    # A station that is not the clerk's is answered like one that does not exist.
    assert body["outcomes"][2]["error"] == body["outcomes"][3]["error"]
    assert body["outcomes"][4]["error"]["details"] == {"field": "contest_id"}
    assert [o["replayed"] for o in body["outcomes"]][5] is True
    assert body["outcomes"][5]["sheet"] == body["outcomes"][0]["sheet"]
    assert body["outcomes"][6]["error"]["code"] == "idempotency_key_reused"
    assert (body["recorded"], body["refused"]) == (2, 5)
    assert TallySheet.objects.count() == 1
    assert body["outcomes"][0]["sheet"]["status"] == "accepted"
    assert IdempotencyRecord.objects.count() == 1
    assert_audit_verifies()


def test_a_replayed_batch_answers_as_the_first_and_changes_nothing(
    official_client: Client, station: PollingStation, other_station: PollingStation, candidates: list[Candidate]
) -> None:
    items = [sheet(station, candidates, [5, 4]), sheet(other_station, candidates, [7, 1])]
    first = post_batch(official_client, items, key="replayed-batch-1")
    events = AuditEvent.objects.count()
    again = post_batch(official_client, items, key="replayed-batch-1")

    assert [o["status"] for o in first.json()["outcomes"]] == [201, 201]
    assert [o["replayed"] for o in again.json()["outcomes"]] == [True, True]
    assert [o["sheet"] for o in again.json()["outcomes"]] == [o["sheet"] for o in first.json()["outcomes"]]
    assert TallySheet.objects.count() == 2
    assert AuditEvent.objects.count() == events


def test_a_key_is_one_entry_whether_its_sheet_comes_alone_or_in_a_batch(
    official: User, open_vote: Election, station: PollingStation, candidates: list[Candidate]
) -> None:
    contest = candidates[0].contest
    alone = submit_tally_sheet(station=station, contest=contest, ballots_cast=9, blank=0, invalid=0,
                               votes={candidates[0].pk: 5, candidates[1].pk: 4}, actor=official,
                               idempotency_key="alone-then-batch")  # fmt: skip
    [batched] = submit_tally_sheets(items=[entry(station, candidates, [5, 4], "alone-then-batch")], actor=official)
    [reused] = submit_tally_sheets(items=[entry(station, candidates, [6, 4], "alone-then-batch")], actor=official)

    assert batched.recorded is not None
    assert batched.recorded.replayed
    assert batched.recorded.body == alone.body
    assert reused.error is not None
    assert reused.error.code == "idempotency_key_reused"
    assert TallySheet.objects.count() == 1


def test_a_refused_sheet_keeps_no_key_so_it_can_be_corrected_and_sent_again(
    official: User, open_vote: Election, station: PollingStation, candidates: list[Candidate]
) -> None:
    [refused] = submit_tally_sheets(items=[entry(station, candidates, [5, 4], "fix-me-key", ballots_cast=10)],
                                    actor=official)  # fmt: skip
    [fixed] = submit_tally_sheets(items=[entry(station, candidates, [5, 4], "fix-me-key")], actor=official)

    assert refused.error is not None
    assert refused.error.code == "sheet_does_not_add_up"
    assert fixed.recorded is not None
    assert not fixed.recorded.replayed
    assert TallySheet.objects.get().ballots_cast == 9


def test_double_entry_in_batches_follows_the_rules_of_single_sheets(
    open_vote: Election,
    station: PollingStation,
    candidates: list[Candidate],
    clerk: User,
    second_clerk: User,
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    [first] = submit_tally_sheets(items=[entry(station, candidates, [5, 4], "double-1")], actor=clerk)
    [same_clerk] = submit_tally_sheets(items=[entry(station, candidates, [5, 4], "double-2")], actor=clerk)
    [second] = submit_tally_sheets(items=[entry(station, candidates, [5, 4], "double-3")], actor=second_clerk)

    assert first.recorded is not None
    assert first.recorded.body["status"] == "pending_second_entry"
    assert same_clerk.error is not None
    assert same_clerk.error.code == "second_entry_same_person"
    assert second.recorded is not None
    assert second.recorded.body["status"] == "accepted"
    assert second.recorded.body["other_versions"] == {"1": "superseded"}
    assert list(TallySheet.objects.order_by("version").values_list("status", flat=True)) == ["superseded", "accepted"]
    assert_audit_verifies()


def test_differing_second_entry_in_a_batch_goes_to_review(
    open_vote: Election, station: PollingStation, candidates: list[Candidate], clerk: User, second_clerk: User
) -> None:
    set_counting(open_vote, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    submit_tally_sheets(items=[entry(station, candidates, [5, 4], "review-1")], actor=clerk)
    [second] = submit_tally_sheets(items=[entry(station, candidates, [4, 5], "review-2")], actor=second_clerk)

    assert second.recorded is not None
    assert second.recorded.body["status"] == "needs_review"
    assert set(TallySheet.objects.values_list("status", flat=True)) == {"needs_review"}
    assert_audit_verifies()


def test_one_station_and_contest_twice_in_a_batch_is_an_entry_then_a_correction(
    official: User, open_vote: Election, station: PollingStation, candidates: list[Candidate]
) -> None:
    outcomes = submit_tally_sheets(
        items=[
            entry(station, candidates, [5, 4], "twice-key-1"),
            entry(station, candidates, [6, 4], "twice-key-2"),
            entry(station, candidates, [7, 4], "twice-key-3", reason="Recounted"),
        ],
        actor=official,
    )

    assert outcomes[0].recorded is not None
    assert outcomes[1].error is not None
    assert outcomes[1].error.code == "reason_required"
    assert outcomes[2].recorded is not None
    assert outcomes[2].recorded.body["version"] == 2
    assert list(TallySheet.objects.order_by("version").values_list("version", "status")) == [
        (1, "superseded"),
        (2, "accepted"),
    ]
    assert_audit_verifies()


def test_a_clerks_batch_into_a_closed_election_is_refused_sheet_by_sheet(
    clerk: User, open_vote: Election, station: PollingStation, candidates: list[Candidate]
) -> None:
    Election.objects.filter(pk=open_vote.pk).update(status=Election.Status.CLOSED)
    [outcome] = submit_tally_sheets(items=[entry(station, candidates, [5, 4], "closed-batch")], actor=clerk)
    assert outcome.error is not None
    assert outcome.error.code == "election_not_open"
    assert not TallySheet.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_a_batch_above_the_limit_is_refused_whole(official_client: Client, station: PollingStation,
                                                   candidates: list[Candidate]) -> None:  # fmt: skip
    items = [sheet(station, candidates, [1, 1])] * (MAX_SHEET_BATCH + 1)
    response = post_batch(official_client, items)
    assert response.status_code == 422
    assert set(response.json()) == {"error"}
    assert not TallySheet.objects.exists()


def test_the_results_side_hears_once_per_batch(
    official: User, open_vote: Election, station: PollingStation, other_station: PollingStation,
    candidates: list[Candidate], django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    heard: list[ResultsChange] = []
    handler = ResultsChangeHandler(noted=lambda change: None, committed=heard.append)
    register_results_handler(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            submit_tally_sheets(
                items=[
                    entry(station, candidates, [5, 4], "hear-key-1"),
                    entry(other_station, candidates, [2, 4], "hear-key-2"),
                ],
                actor=official,
            )
    finally:
        unregister_results_handler(handler)
    assert heard == [ResultsChange(election_id=open_vote.pk, election_slug=open_vote.slug)]


def test_a_batch_reads_in_constant_queries_plus_its_audit_appends(
    official: User, open_vote: Election, station: PollingStation, other_station: PollingStation,
    south_station: PollingStation, candidates: list[Candidate],
) -> None:  # fmt: skip
    def queries(prefix: str, stations: list[PollingStation]) -> int:
        items = [entry(s, candidates, [5, 4], f"{prefix}-{s.pk}", reason="Recount") for s in stations]
        with CaptureQueriesContext(connection) as captured:
            outcomes = submit_tally_sheets(items=items, actor=official)
        assert all(o.recorded is not None for o in outcomes)
        return len(captured.captured_queries)

    queries("count-first", [station, other_station, south_station])
    one = queries("count-one", [station])
    three = queries("count-three", [other_station, south_station, station])
    # Each sheet adds its audit event (one statement on PostgreSQL, two on SQLite) and nothing else.
    per_event = 1 if connection.vendor == "postgresql" else 2
    assert three - one <= 2 * per_event


# Hypothesis runs every example in the same test's database: each needs fresh keys.
KEYS = itertools.count()
votes_strategy = st.lists(st.integers(0, 40), min_size=2, max_size=2)
batches_strategy = st.lists(
    st.lists(st.tuples(st.integers(0, 2), votes_strategy, st.integers(0, 3), st.booleans()), min_size=1, max_size=6),
    min_size=1,
    max_size=4,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches_strategy)
def test_station_results_after_any_batches_equal_the_last_accepted_sheets(
    official: User, open_vote: Election, candidates: list[Candidate], batches: list[list[Any]]
) -> None:
    stations = list(open_vote.stations.order_by("code"))
    contest = candidates[0].contest
    expected: dict[int, tuple[int, list[int]]] = {
        r.station_id: (r.ballots_cast, [r.votes[c.pk] for c in candidates])
        for r in list_station_results(election=open_vote)
        if r.contest_id == contest.pk
    }
    for number, batch in enumerate(batches):
        items = []
        for position, (s, votes, extra_cast, with_reason) in enumerate(batch):
            key = f"prop-{next(KEYS)}-{number}-{position}"
            reason = "Recount" if with_reason else ""
            items.append(
                entry(stations[s], candidates, votes, key, ballots_cast=sum(votes) + extra_cast, reason=reason)
            )
        for item, outcome in zip(items, submit_tally_sheets(items=items, actor=official), strict=True):
            if outcome.recorded is not None:
                expected[item.station_id] = (item.ballots_cast, [item.votes[c.pk] for c in candidates])  # type: ignore[index]
            else:
                assert outcome.error is not None
                assert outcome.error.code in {"sheet_does_not_add_up", "reason_required"}
    got = {
        r.station_id: (r.ballots_cast, [r.votes[c.pk] for c in candidates])
        for r in list_station_results(election=open_vote)
        if r.contest_id == contest.pk
    }
    assert got == expected
    assert find_chain_breaks() is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_racing_single_entries_for_the_same_sheets_loses_nothing(
    open_vote: Election, official: User, candidates: list[Candidate]
) -> None:
    stations = list(open_vote.stations.order_by("code"))
    contest = candidates[0].contest
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    def batches(name: str) -> Callable[[], object]:
        def work() -> None:
            for turn in range(5):
                items = [entry(s, candidates, [turn + 1, 2], f"race-{name}-{turn}-{s.pk}", reason="race")
                         for s in reversed(stations) if turn % 2 or s.code != "N-002"]  # fmt: skip
                for outcome in submit_tally_sheets(items=items, actor=official):
                    assert outcome.recorded is not None, outcome.error

        return work

    def singles(name: str) -> Callable[[], object]:
        def work() -> None:
            for turn in range(8):
                for s in stations:
                    submit_tally_sheet(station=s.pk, contest=contest, ballots_cast=turn + 3, blank=0, invalid=0,
                                       votes={candidates[0].pk: turn + 1, candidates[1].pk: 2}, actor=official,
                                       idempotency_key=f"race-{name}-{turn}-{s.pk}", reason="race")  # fmt: skip

        return work

    threads = [
        threading.Thread(target=run, args=(w,)) for w in (batches("b1"), batches("b2"), singles("s1"), singles("s2"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    per_station = {s.pk: TallySheet.objects.filter(station=s, contest=contest) for s in stations}
    entered = 2 * 5 * 3 - 2 * 3 + 2 * 8 * 3
    assert TallySheet.objects.count() == entered
    for sheets in per_station.values():
        versions = sorted(sheets.values_list("version", flat=True))
        assert versions == list(range(1, len(versions) + 1))
        assert sheets.filter(status="accepted").count() == 1
        assert sheets.filter(status="accepted").get().version == len(versions)
    assert AuditEvent.objects.filter(action="tally_sheet.submit").count() == entered
    assert_audit_verifies()


def test_a_refusal_by_the_rules_is_a_domain_error_with_a_field(
    official: User, open_vote: Election, station: PollingStation, candidates: list[Candidate]
) -> None:
    [outcome] = submit_tally_sheets(items=[entry(station, candidates[:1], [5], "short-votes")], actor=official)
    assert isinstance(outcome.error, DomainError)
    assert outcome.error.code == "votes_missing"
    assert outcome.error.details["field"] == "votes"


def test_an_invalid_key_is_refused_for_its_sheet_only(
    official: User, open_vote: Election, station: PollingStation, other_station: PollingStation,
    candidates: list[Candidate],
) -> None:  # fmt: skip
    outcomes = submit_tally_sheets(
        items=[entry(station, candidates, [1, 1], "bad key!"), entry(other_station, candidates, [1, 1], "good-key-1")],
        actor=official,
    )
    assert outcomes[0].error is not None
    assert outcomes[0].error.code == "idempotency_key_invalid"
    assert outcomes[1].recorded is not None
