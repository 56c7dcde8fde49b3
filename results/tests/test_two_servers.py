"""Two app nodes: daphne processes sharing PostgreSQL and Redis. A viewer on one sees an entry made through the
other, within a second."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from django.contrib.auth.models import User

from elections.models import Contest, Election, PollingStation
from trust.tokens import issue_api_token
from votetracker.tests.servers import WebSocketClient, daphne_server

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_viewer_on_one_node_sees_an_entry_made_through_the_other(
    published: Election, station: PollingStation, contest: Contest, official: User
) -> None:
    _token, secret = issue_api_token(user=official, name="two-node test", issued_by=official)
    votes = dict(zip(contest.candidates.order_by("ballot_order").values_list("pk", flat=True), [271, 314], strict=True))
    body = {"station_id": station.pk, "contest_id": contest.pk, "ballots_cast": 585, "blank": 0, "invalid": 0,
            "votes": {str(k): v for k, v in votes.items()}}  # fmt: skip
    with daphne_server() as node_a, daphne_server() as node_b:
        viewer = WebSocketClient(node_a, f"/ws/results/{published.slug}/?lang=ar")
        try:
            hello = viewer.receive_json()
            request = urllib.request.Request(  # noqa: S310 - a local test server
                f"{node_b}/api/v1/entry/tally-sheets",
                data=json.dumps(body).encode(),
                headers={
                    "Authorization": f"Bearer {secret}",
                    "Idempotency-Key": "two-node-entry-0001",
                    "Content-Type": "application/json",
                },
                method="POST",
            )
            sent = time.monotonic()
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                assert response.status == 201
            frame = viewer.receive_json(timeout=5)
            assert time.monotonic() - sent < 1.5
        finally:
            viewer.close()
    assert frame["type"] == "update"
    assert frame["version"] > hello["version"]
    # The viewer reads Arabic: its frame carries the Arabic parts, and only those.
    assert "271" in frame["parts"]["contest-mayor"]
    assert "314" in frame["parts"]["contest-mayor"]
    assert "رئيس" in frame["parts"]["contest-mayor"] or "المرشح" in frame["parts"]["contest-mayor"]
