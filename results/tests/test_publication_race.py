"""Results published a moment ago are served at once, even before the recount that follows publication has run."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from elections.models import Election
from elections.services import publish_results
from results.selectors import get_public_snapshot, get_results_snapshot

pytestmark = pytest.mark.django_db


def test_results_are_served_right_after_publication_before_the_recount_runs(
    open_vote: Election, official: User, client: Client
) -> None:
    # A hidden snapshot is in the cache, as it is while an open election's entries come in before publication.
    assert get_results_snapshot(election=open_vote)["election"]["results_visibility"] == "hidden"
    assert get_public_snapshot(slug=open_vote.slug) is None
    # Publish without running the after-commit recount: the cache still holds the hidden snapshot.
    publish_results(election=open_vote, actor=official)
    snapshot = get_public_snapshot(slug=open_vote.slug)
    assert snapshot is not None
    assert snapshot["election"]["results_visibility"] == "provisional"
    response = client.get(f"/api/v1/results/elections/{open_vote.slug}")
    assert response.status_code == 200, response.content


def test_a_hidden_election_stays_hidden(open_vote: Election, client: Client) -> None:
    get_results_snapshot(election=open_vote)
    assert get_public_snapshot(slug=open_vote.slug) is None
    assert client.get(f"/api/v1/results/elections/{open_vote.slug}").status_code == 404
