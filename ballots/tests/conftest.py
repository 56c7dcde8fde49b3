"""Fixtures for entry tests: an open election, its stations, staff with assignments, and fresh keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User

from elections.models import Candidate, ClerkAssignment, Contest, Election, PollingStation, SupervisorAssignment
from elections.services import open_election


@pytest.fixture
def new_key() -> Callable[[], str]:
    return lambda: f"key-{uuid.uuid4()}"


@pytest.fixture
def open_vote(election: Election, official: User) -> Election:
    """The shared election, opened for entry."""
    return open_election(election=election, actor=official)


@pytest.fixture
def station(open_vote: Election) -> PollingStation:
    return open_vote.stations.get(code="N-001")


@pytest.fixture
def other_station(open_vote: Election) -> PollingStation:
    return open_vote.stations.get(code="N-002")


@pytest.fixture
def south_station(open_vote: Election) -> PollingStation:
    return open_vote.stations.get(code="S-001")


@pytest.fixture
def contest(open_vote: Election) -> Contest:
    return open_vote.contests.get(slug="mayor")


@pytest.fixture
def candidates(contest: Contest) -> list[Candidate]:
    return list(contest.candidates.order_by("ballot_order"))


@pytest.fixture
def second_clerk(db: None, station: PollingStation) -> User:
    user = User.objects.create_user(username="second-clerk", password="correct-horse-battery")
    user.groups.add(Group.objects.get(name="Clerks"))
    ClerkAssignment.objects.create(user=user, station=station)
    return user


@pytest.fixture
def north_supervisor(supervisor: User, open_vote: Election) -> User:
    SupervisorAssignment.objects.create(user=supervisor, district=open_vote.districts.get(code="N"))
    return supervisor


@pytest.fixture
def south_supervisor(db: None, open_vote: Election) -> User:
    user = User.objects.create_user(username="south-supervisor", password="correct-horse-battery")
    user.groups.add(Group.objects.get(name="Supervisors"))
    SupervisorAssignment.objects.create(user=user, district=open_vote.districts.get(code="S"))
    return user
