"""Fixtures shared by every app's tests: an election to work on and one user per role."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection, connections

from elections.models import Candidate, ClerkAssignment, Contest, District, Election, Party, PollingStation

# Each process refreshes results after its own commits, as before the results worker: the servers and commands the
# tests start inherit this; the tests of the worker itself (results/tests/test_results_worker*.py) choose otherwise.
os.environ["RESULTS_WORKER"] = "inline"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each pass deselects (never skips) the tests that belong to the other: PostgreSQL-only tests run in the
    server-mode pass, and tests whose outcome cannot depend on the mode (``once``: a page's look and accessibility,
    processes on SQLite files of their own) run once, in the embedded pass."""
    server_mode = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    other_pass = "once" if server_mode else "postgres_only"
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (dropped if item.get_closest_marker(other_pass) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def close_connection_pools(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Give back the pooled PostgreSQL connections before the test database is dropped."""
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            # Only the PostgreSQL backend pools connections.
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None:
                close_pool()


@pytest.fixture(autouse=True)
def immediate_results_refresh(settings) -> None:
    """Refresh results at once after each commit, so no end-of-window timer outlives the test that started it
    (tests about coalescing set an interval themselves)."""
    settings.RESULTS_BROADCAST_INTERVAL = 0


@pytest.fixture(autouse=True)
def recount_in_the_committing_process(settings) -> None:
    """The funnel runs inline unless a test is about the results worker (the settings were read before the line
    above could say so)."""
    settings.RESULTS_WORKER = "inline"


@pytest.fixture(autouse=True)
def forget_remembered_snapshots() -> None:
    """Each test starts from what the cache holds: a snapshot this process remembers from an earlier test may carry
    a version number the new test database reuses for other data."""
    from results.selectors import forget_remembered_snapshots

    forget_remembered_snapshots()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Argon2 is slow by design; tests that are not about hashing use a fast hasher (test_security checks Argon2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def election(db: None) -> Election:
    """A draft election with two districts, three stations, one party and a contest with two candidates."""
    election = Election.objects.create(name="Test Election", slug="test-election", date=dt.date(2026, 11, 3))
    north = District.objects.create(election=election, code="N", name="North")
    south = District.objects.create(election=election, code="S", name="South")
    PollingStation.objects.create(
        election=election, district=north, code="N-001", name="North School", registered_voters=800
    )
    PollingStation.objects.create(
        election=election, district=north, code="N-002", name="North Hall", registered_voters=650
    )
    PollingStation.objects.create(
        election=election, district=south, code="S-001", name="South Library", registered_voters=900
    )
    party = Party.objects.create(election=election, name="Green League", abbreviation="GL", colour="#2CA02C")
    contest = Contest.objects.create(election=election, name="Mayor", slug="mayor")
    Candidate.objects.create(contest=contest, name_en="Amal Haddad", name_ar="أمل حداد", party=party, ballot_order=1)
    Candidate.objects.create(contest=contest, name_en="Omar Nasser", name_ar="عمر ناصر", ballot_order=2)
    return election


def _user_in(group_name: str, username: str, *, is_staff: bool = False) -> User:
    user = User.objects.create_user(username=username, password="correct-horse-battery", is_staff=is_staff)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def official(db: None) -> User:
    return _user_in("Officials", "official", is_staff=True)


@pytest.fixture
def supervisor(db: None) -> User:
    return _user_in("Supervisors", "supervisor")


@pytest.fixture
def clerk(db: None, election: Election) -> User:
    user = _user_in("Clerks", "clerk")
    ClerkAssignment.objects.create(user=user, station=election.stations.get(code="N-001"))
    return user


@pytest.fixture
def official_client(client, official):
    client.force_login(official)
    return client
