"""The entry API: exactly once over HTTP, who may call it, and a clear 4xx for anything a client gets wrong."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from ballots.models import Ballot, BallotVoid, TallySheet, TurnoutReport
from ballots.tests.support import set_counting
from elections.models import Candidate, ClerkAssignment, Contest, Election, PollingStation
from trust.models import ApiToken, AuditEvent
from trust.tokens import activate_api_token, offer_api_token, revoke_api_tokens

BASE = "/api/v1/entry"


def post(client: Client, path: str, body: Any, *, key: str | None = None, **headers: Any) -> Any:
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"{BASE}{path}", data=data, content_type="application/json", **headers)


def sheet_body(station: PollingStation, candidates: list[Candidate], votes: list[int], **extra: Any) -> dict[str, Any]:
    return {
        "station_id": station.pk,
        "contest_id": candidates[0].contest_id,
        "ballots_cast": extra.pop("ballots_cast", sum(votes)),
        "blank": 0,
        "invalid": 0,
        "votes": {str(c.pk): n for c, n in zip(candidates, votes, strict=True)},
        **extra,
    }


def ballot_body(station: PollingStation, contest: Contest, marks: list[int], kind: str = "marked") -> dict[str, Any]:
    return {"station_id": station.pk, "contest_id": contest.pk, "kind": kind, "marks": marks}


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.fixture
def clerk_client(client: Client, clerk: User, open_vote: Election) -> Client:
    client.force_login(clerk)
    return client


@pytest.fixture
def ballots_vote(open_vote: Election) -> Election:
    return set_counting(open_vote, Election.CountingMethod.BOTH)


@pytest.fixture
def token(clerk: User, official: User) -> str:
    # A token an official issues for a clerk works once the clerk activates it.
    return activate_api_token(api_token=offer_api_token(user=clerk, name="tablet 1", issued_by=official), user=clerk)[1]


# --- listing ---------------------------------------------------------------------------------------------------------


def test_a_clerk_lists_only_their_station_with_its_progress(
    clerk_client: Client, station: PollingStation, candidates: list[Candidate], new_key: Callable[[], str]
) -> None:
    post(clerk_client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key=new_key())
    post(clerk_client, "/turnout", {"station_id": station.pk, "voters": 40}, key=new_key())

    response = clerk_client.get(f"{BASE}/stations")

    assert response.status_code == 200
    [listed] = response.json()
    assert listed["code"] == "N-001"
    assert listed["turnout_voters"] == 40
    [contest] = listed["contests"]
    assert contest["sheet_status"] == "accepted"
    assert contest["ballots_entered"] == 0
    assert contest["count_complete"] is False
    assert [c["name_en"] for c in contest["candidates"]] == ["Amal Haddad", "Omar Nasser"]


def test_a_supervisor_lists_the_stations_of_their_district(client: Client, north_supervisor: User) -> None:
    client.force_login(north_supervisor)
    codes = [s["code"] for s in client.get(f"{BASE}/stations").json()]
    assert codes == ["N-001", "N-002"]


def test_an_official_lists_every_station(client: Client, official: User, open_vote: Election) -> None:
    client.force_login(official)
    assert len(client.get(f"{BASE}/stations").json()) == 3


def test_the_station_list_refuses_an_election_id_that_is_not_one_whole_number(
    client: Client, official: User, open_vote: Election
) -> None:
    client.force_login(official)
    assert len(client.get(f"{BASE}/stations?election_id={open_vote.pk}").json()) == 3
    for query in (f"election_id={open_vote.pk}.0", f"election_id=x&election_id={open_vote.pk}", "election_id=%D9%A1"):
        response = client.get(f"{BASE}/stations?{query}")
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == "invalid_request"


# --- exactly once ----------------------------------------------------------------------------------------------------


def test_a_replayed_ballot_answers_the_first_answer_and_is_counted_once(
    clerk_client: Client, ballots_vote: Election, station: PollingStation, contest: Contest, candidates: list[Candidate]
) -> None:
    body = ballot_body(station, contest, [candidates[0].pk])
    first = post(clerk_client, "/ballots", body, key="ballot-key-0001")
    again = post(clerk_client, "/ballots", body, key="ballot-key-0001")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first["Idempotent-Replayed"] == "false"
    assert again["Idempotent-Replayed"] == "true"
    assert Ballot.objects.count() == 1


def test_a_replayed_sheet_is_one_version(
    clerk_client: Client, station: PollingStation, candidates: list[Candidate]
) -> None:
    body = sheet_body(station, candidates, [3, 2])
    first = post(clerk_client, "/tally-sheets", body, key="sheet-key-0001")
    again = post(clerk_client, "/tally-sheets", body, key="sheet-key-0001")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert TallySheet.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(
    clerk_client: Client, station: PollingStation, candidates: list[Candidate]
) -> None:
    post(clerk_client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key="sheet-key-0002")
    response = post(clerk_client, "/tally-sheets", sheet_body(station, candidates, [4, 2]), key="sheet-key-0002")

    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert TallySheet.objects.count() == 1


def test_a_write_without_an_idempotency_key_is_refused_naming_the_header(
    clerk_client: Client, station: PollingStation, candidates: list[Candidate]
) -> None:
    response = post(clerk_client, "/tally-sheets", sheet_body(station, candidates, [3, 2]))

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert "Idempotency-Key" in error["message"]
    assert TallySheet.objects.count() == 0


def test_a_malformed_idempotency_key_is_refused(
    clerk_client: Client, station: PollingStation, candidates: list[Candidate]
) -> None:
    response = post(clerk_client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key="short")
    assert response.status_code == 422
    assert error_of(response)["details"] == {"field": "idempotency_key"}


def test_a_refused_sheet_can_be_corrected_and_resent_under_the_same_key(
    clerk_client: Client, station: PollingStation, candidates: list[Candidate]
) -> None:
    refused = post(
        clerk_client, "/tally-sheets", sheet_body(station, candidates, [3, 2], ballots_cast=6), key="sheet-key-0003"
    )
    corrected = post(clerk_client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key="sheet-key-0003")

    assert refused.status_code == 422
    assert error_of(refused)["details"]["field"] == "ballots_cast"
    assert corrected.status_code == 201


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_with_one_key_write_once(
    clerk: User, ballots_vote: Election, station: PollingStation, contest: Contest, candidates: list[Candidate]
) -> None:
    workers = 6
    barrier = threading.Barrier(workers)
    statuses: list[int] = []
    bodies: list[dict[str, Any]] = []
    body = ballot_body(station, contest, [candidates[1].pk])

    def send() -> None:
        client = Client()
        client.force_login(clerk)
        barrier.wait()
        try:
            response = post(client, "/ballots", body, key="racing-key-0001")
            statuses.append(response.status_code)
            bodies.append(response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Ballot.objects.count() == 1
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    ballot_id = Ballot.objects.get().pk
    assert all(b.get("ballot_id") == ballot_id for b, s in zip(bodies, statuses, strict=True) if s == 201)
    assert all(
        error_of_body(b)["code"] == "idempotency_conflict" for b, s in zip(bodies, statuses, strict=True) if s == 409
    )


def error_of_body(body: dict[str, Any]) -> dict[str, Any]:
    return body["error"]


# --- batches, voids, turnout -----------------------------------------------------------------------------------------


def test_a_batch_gives_each_ballot_its_own_outcome(
    clerk_client: Client,
    ballots_vote: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
) -> None:
    items = [
        {**ballot_body(station, contest, [candidates[0].pk]), "idempotency_key": "batch-item-0001"},
        {**ballot_body(station, contest, [], kind="blank")},
        {**ballot_body(station, contest, [candidates[0].pk, candidates[1].pk])},
        {**ballot_body(other_station, contest, [candidates[0].pk])},
        {**ballot_body(station, contest, [candidates[0].pk]), "station_id": 999_999},
    ]
    response = post(clerk_client, "/ballots/batch", {"items": items}, key="batch-0001")
    replay = post(clerk_client, "/ballots/batch", {"items": items}, key="batch-0001")

    assert response.status_code == 200
    outcomes = response.json()["outcomes"]
    assert [o["status"] for o in outcomes] == [201, 201, 422, 404, 404]
    assert outcomes[2]["error"]["code"] == "too_many_marks"
    assert outcomes[3]["error"] == outcomes[4]["error"]
    assert outcomes[4]["error"]["details"] == {"field": "station_id"}
    assert response.json()["recorded"] == 2
    assert [o["replayed"] for o in replay.json()["outcomes"][:2]] == [True, True]
    assert Ballot.objects.count() == 2


def test_a_batch_above_the_limit_is_refused_whole(
    clerk_client: Client, ballots_vote: Election, station: PollingStation, contest: Contest
) -> None:
    items = [ballot_body(station, contest, [], kind="blank")] * 501
    response = post(clerk_client, "/ballots/batch", {"items": items}, key="batch-0002")
    assert response.status_code == 422
    assert Ballot.objects.count() == 0


def test_a_ballot_is_voided_with_a_reason_and_the_void_replays(
    clerk_client: Client, ballots_vote: Election, station: PollingStation, contest: Contest, candidates: list[Candidate]
) -> None:
    ballot_id = post(
        clerk_client, "/ballots", ballot_body(station, contest, [candidates[0].pk]), key="b-0004xx"
    ).json()["ballot_id"]
    first = post(clerk_client, f"/ballots/{ballot_id}/void", {"reason": "entered twice"}, key="void-0001")
    again = post(clerk_client, f"/ballots/{ballot_id}/void", {"reason": "entered twice"}, key="void-0001")
    no_reason = post(clerk_client, f"/ballots/{ballot_id}/void", {"reason": ""}, key="void-0002")
    unknown = post(clerk_client, "/ballots/987654/void", {"reason": "x"}, key="void-0003")

    assert first.status_code == again.status_code == 201
    assert BallotVoid.objects.count() == 1
    assert no_reason.status_code == 422
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "not_found"


def test_turnout_is_reported_and_may_not_decrease(clerk_client: Client, station: PollingStation) -> None:
    first = post(clerk_client, "/turnout", {"station_id": station.pk, "voters": 120}, key="turnout-0001")
    lower = post(clerk_client, "/turnout", {"station_id": station.pk, "voters": 100}, key="turnout-0002")
    too_many = post(clerk_client, "/turnout", {"station_id": station.pk, "voters": 801}, key="turnout-0003")

    assert first.status_code == 201
    assert first.json()["voters"] == 120
    assert lower.status_code == 422
    assert error_of(lower)["code"] == "turnout_decreasing"
    assert error_of(too_many)["details"]["field"] == "voters"
    assert TurnoutReport.objects.count() == 1


# --- authentication and permissions ----------------------------------------------------------------------------------


def test_an_api_token_authenticates_without_a_session_or_csrf(
    token: str, station: PollingStation, candidates: list[Candidate]
) -> None:
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = post(client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key="token-0001", **auth)

    assert response.status_code == 201
    assert ApiToken.objects.get().last_used_at is not None
    assert AuditEvent.objects.filter(action="tally_sheet.submit", actor__username="clerk").exists()


def test_a_revoked_token_is_refused(token: str, official: User, open_vote: Election) -> None:
    revoke_api_tokens(tokens=ApiToken.objects.all(), revoked_by=official)
    response = Client().get(f"{BASE}/stations", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "authorization", ["Bearer vt_000000000000_nope", "Bearer nonsense", "Bearer ", "Basic Zm9vOmJhcg=="]
)
def test_an_unknown_token_is_refused(authorization: str, open_vote: Election) -> None:
    response = Client().get(f"{BASE}/stations", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    error_of(response)


def test_a_token_is_stored_only_as_a_hash(token: str) -> None:
    stored = ApiToken.objects.get()
    assert token not in {stored.prefix, stored.secret_hash}
    assert token.split("_")[1] == stored.prefix


def test_a_session_write_needs_the_csrf_token(
    clerk: User, station: PollingStation, candidates: list[Candidate]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    refused = post(client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key="csrf-0001")
    client.get("/entry/")
    csrf = client.cookies["csrftoken"].value
    accepted = post(
        client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key="csrf-0001", HTTP_X_CSRFTOKEN=csrf
    )

    assert refused.status_code == 403
    assert accepted.status_code == 201


def test_anonymous_callers_get_401_everywhere(
    client: Client, station: PollingStation, candidates: list[Candidate]
) -> None:
    assert client.get(f"{BASE}/stations").status_code == 401
    response = post(client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key="anon-0001")
    assert response.status_code == 401
    assert TallySheet.objects.count() == 0


def test_a_clerk_of_another_station_is_refused(
    clerk_client: Client, other_station: PollingStation, candidates: list[Candidate]
) -> None:
    response = post(clerk_client, "/tally-sheets", sheet_body(other_station, candidates, [3, 2]), key="perm-0001")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert other_station.code not in response.content.decode()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/tally-sheets", lambda station, contest, candidates: sheet_body(station, candidates, [3, 2])),
        ("/ballots", lambda station, contest, candidates: ballot_body(station, contest, [], kind="blank")),
        ("/turnout", lambda station, contest, candidates: {"station_id": station.pk, "voters": 3}),
    ],
)
def test_a_station_that_is_not_yours_is_answered_exactly_like_one_that_does_not_exist(
    clerk_client: Client,
    other_station: PollingStation,
    contest: Contest,
    candidates: list[Candidate],
    path: str,
    body: Callable[..., dict[str, Any]],
) -> None:
    theirs = post(clerk_client, path, body(other_station, contest, candidates), key="probe-0001")
    missing = PollingStation(pk=999_999, code="X", name="X")
    nowhere = post(clerk_client, path, body(missing, contest, candidates), key="probe-0002")
    assert theirs.status_code == nowhere.status_code == 404
    assert theirs.json() == nowhere.json()
    assert theirs.json()["error"]["code"] == "not_found"


def test_a_ballot_of_a_station_that_is_not_yours_is_answered_like_one_that_does_not_exist(
    clerk_client: Client, clerk: User, station: PollingStation, other_station: PollingStation, contest: Contest
) -> None:
    set_counting(station.election, Election.CountingMethod.BOTH)
    entered = post(clerk_client, "/ballots", ballot_body(station, contest, [], kind="blank"), key="probe-0003")
    ballot_id = entered.json()["ballot_id"]
    # The clerk moves to another station: the ballot entered at the first is no longer theirs.
    ClerkAssignment.objects.filter(user=clerk).update(station=other_station)

    theirs = post(clerk_client, f"/ballots/{ballot_id}/void", {"reason": "probe"}, key="probe-0004")
    nowhere = post(clerk_client, f"/ballots/{ballot_id + 1000}/void", {"reason": "probe"}, key="probe-0005")
    assert theirs.status_code == nowhere.status_code == 404
    assert theirs.json()["error"] == {"code": "not_found", "message": f"There is no ballot {ballot_id}.", "details": {}}
    assert nowhere.json()["error"]["message"] == f"There is no ballot {ballot_id + 1000}."
    assert not BallotVoid.objects.exists()


def test_a_supervisor_of_another_district_is_refused(
    client: Client, south_supervisor: User, station: PollingStation, candidates: list[Candidate]
) -> None:
    client.force_login(south_supervisor)
    response = post(client, "/tally-sheets", sheet_body(station, candidates, [3, 2]), key="perm-0002")
    turnout = post(client, "/turnout", {"station_id": station.pk, "voters": 3}, key="perm-0003")
    assert response.status_code == turnout.status_code == 404
    assert [s["code"] for s in client.get(f"{BASE}/stations").json()] == ["S-001"]


# --- nothing a client sends is a 500 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/tally-sheets", "{not json"),
        ("/tally-sheets", b"\xff\xfe\x00garbage"),
        ("/tally-sheets", "[]"),
        ("/tally-sheets", "null"),
        ("/tally-sheets", {"station_id": "abc", "contest_id": 1}),
        ("/tally-sheets", {"station_id": 10**40, "contest_id": 1, "ballots_cast": 1, "blank": 0, "invalid": 0}),
        (
            "/tally-sheets",
            {"station_id": 1, "contest_id": 1, "ballots_cast": 1.5, "blank": 0, "invalid": 0, "votes": {}},
        ),
        (
            "/tally-sheets",
            {"station_id": 1, "contest_id": 1, "ballots_cast": 10**12, "blank": 0, "invalid": 0, "votes": {}},
        ),
        ("/tally-sheets", {"station_id": 1, "contest_id": 1, "ballots_cast": 1, "blank": 0, "invalid": 0, "votes": []}),
        (
            "/tally-sheets",
            {"station_id": 1, "contest_id": 1, "ballots_cast": 1, "blank": 0, "invalid": 0, "votes": {"x": 1}},
        ),
        ("/ballots", {"station_id": 1, "contest_id": 1, "kind": "spoilt", "marks": []}),
        ("/ballots", {"station_id": 1, "contest_id": 1, "kind": "marked", "marks": "1,2"}),
        ("/ballots", {"station_id": 1, "contest_id": 1, "kind": "marked", "marks": [-1]}),
        ("/ballots", {"station_id": 1, "contest_id": 1, "kind": "marked", "marks": list(range(1, 1000))}),
        ("/ballots/batch", {"items": "all of them"}),
        ("/ballots/batch", {"items": []}),
        ("/turnout", {"station_id": 1, "voters": 5, "at": "yesterday"}),
        ("/turnout", {"station_id": 1, "voters": -5}),
        ("/ballots/0/void", {"reason": "x"}),
        ("/ballots/99999999999999999999999/void", {"reason": "x"}),
        ("/ballots/1/void", {"reason": 12}),
    ],
)
def test_malformed_requests_get_a_4xx_error_never_a_500(
    clerk_client: Client, ballots_vote: Election, path: str, body: Any
) -> None:
    response = post(clerk_client, path, body, key="malformed-0001")
    assert 400 <= response.status_code < 500
    error_of(response)


@pytest.mark.parametrize("field", ["station_id", "contest_id"])
def test_unknown_station_or_contest_is_a_404(
    clerk_client: Client, station: PollingStation, candidates: list[Candidate], field: str
) -> None:
    body = {**sheet_body(station, candidates, [3, 2]), field: 424242}
    response = post(clerk_client, "/tally-sheets", body, key="unknown-0001")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_candidate_is_refused_naming_votes(
    clerk_client: Client, station: PollingStation, candidates: list[Candidate]
) -> None:
    body = sheet_body(station, candidates, [3, 2])
    body["votes"]["424242"] = 0
    response = post(clerk_client, "/tally-sheets", body, key="unknown-0002")
    assert response.status_code == 422
    assert error_of(response)["details"]["field"] == "votes"


def test_a_naive_turnout_time_is_refused_naming_the_field(clerk_client: Client, station: PollingStation) -> None:
    response = post(
        clerk_client, "/turnout", {"station_id": station.pk, "voters": 5, "at": "2026-11-03T10:00"}, key="t-naive1"
    )
    assert response.status_code == 422
    assert error_of(response)["details"]["field"] == "at"


def test_a_body_too_large_to_read_is_a_4xx(clerk_client: Client, settings: Any, open_vote: Election) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(clerk_client, "/ballots/batch", {"items": [], "padding": "x" * 5000}, key="huge-0001")
    assert 400 <= response.status_code < 500


def test_an_entry_into_an_election_that_is_not_open_is_refused(client: Client, clerk: User, election: Election) -> None:
    client.force_login(clerk)
    station = election.stations.get(code="N-001")
    response = post(client, "/turnout", {"station_id": station.pk, "voters": 5}, key=f"draft-{uuid.uuid4()}")
    assert response.status_code == 422
    assert error_of(response)["code"] == "election_not_open"


# --- documentation ---------------------------------------------------------------------------------------------------


def test_every_entry_endpoint_is_in_the_openapi_document(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    expected = {
        ("get", f"{BASE}/stations"),
        ("post", f"{BASE}/ballots"),
        ("post", f"{BASE}/ballots/batch"),
        ("post", f"{BASE}/tally-sheets"),
        ("post", f"{BASE}/turnout"),
        ("post", f"{BASE}/ballots/{{ballot_id}}/void"),
    }
    for method, path in expected:
        assert method in paths[path], path
        operation = paths[path][method]
        if method == "post":
            assert "requestBody" in operation
            assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
            assert "422" in operation["responses"]
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
