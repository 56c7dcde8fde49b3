"""The API answers with one error shape and documents itself."""

from __future__ import annotations

import pytest
from django.test import Client


def test_openapi_document_is_served(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "VoteTracker API"


@pytest.mark.django_db
def test_unknown_api_path_is_a_404_not_a_500(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
