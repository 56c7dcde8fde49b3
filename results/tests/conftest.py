"""Fixtures for results tests: a published election with entries, a clean cache, and the entry fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache, caches

from ballots.tests.conftest import (  # noqa: F401 - fixtures shared with the entry tests
    candidates,
    contest,
    new_key,
    open_vote,
    other_station,
    south_station,
    station,
)
from elections.models import Election
from elections.services import publish_results
from results import catch_up, consumers


@pytest.fixture(autouse=True)
def clean_cache(settings) -> Iterator[None]:
    """Each test starts with an empty cache (in server mode a FLUSHDB of the test's own Redis database), and
    broadcasts at once unless it is about coalescing (no timer outlives its test)."""
    settings.RESULTS_BROADCAST_INTERVAL = 0
    for each in (cache, caches["results_pages"]):
        each.clear()
    consumers._elections.clear()  # an election id remembered by an earlier test names another database's election
    catch_up.forget_catch_ups()  # so are the catch-up frames built for it
    yield
    for each in (cache, caches["results_pages"]):
        each.clear()


@pytest.fixture
def published(open_vote: Election, official: User, django_capture_on_commit_callbacks) -> Election:  # noqa: F811
    """The shared election, open for entry, with provisional results public."""
    with django_capture_on_commit_callbacks(execute=True):
        election = publish_results(election=open_vote, actor=official)
    return election
