"""The API answers with one error shape and documents itself."""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.test import Client, RequestFactory

from votetracker.api import api


def test_openapi_document_is_served(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "VoteTracker API"


@pytest.mark.django_db
def test_unknown_api_path_is_a_404_not_a_500(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (OperationalError("connection refused"), 503, "service_unavailable"),
        (InterfaceError("connection already closed"), 503, "service_unavailable"),
        # A bug, not an outage: sending the same request again would never succeed.
        (ProgrammingError("function ballots_auditevent_append does not exist"), 500, "internal_error"),
        (RuntimeError("unexpected"), 500, "internal_error"),
    ],
)
def test_only_a_lost_database_asks_the_client_to_retry(
    rf: RequestFactory, error: Exception, status: int, code: str
) -> None:
    response = api.on_exception(rf.post("/api/v1/entry/tally-sheets"), error)
    assert response.status_code == status
    assert json.loads(response.content)["error"]["code"] == code
