"""Fixtures for results tests: a published election with entries, a clean cache, and the entry fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import transaction

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
from trust.audit import record_audit_event


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


@pytest.fixture
def published_checkpoints(tmp_path: Path, official: User, settings) -> tuple[Path, Path]:
    """Two checkpoints signed by the operator's key, and the site configured to publish them with the public key:
    the checkpoint file and the public key file."""
    private, public = tmp_path / "audit-checkpoint.key", tmp_path / "audit-checkpoint.pub"
    call_command("audit_keygen", private_key=private, public_key=public, verbosity=0)
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    for number in range(2):
        with transaction.atomic():
            record_audit_event(action="test.touch", obj=official, actor=official, after={"n": number})
        call_command("audit_checkpoint", key=private, out=checkpoints, stdout=StringIO())
    settings.AUDIT_CHECKPOINTS_FILE = str(checkpoints)
    settings.AUDIT_PUBLIC_KEY_FILE = str(public)
    return checkpoints, public
