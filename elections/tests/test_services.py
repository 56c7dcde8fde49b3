"""Status changes go through the services, follow their rules, and are recorded with who and when."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from elections import services
from elections.models import Candidate, Contest, Election
from trust.audit import find_chain_breaks
from trust.errors import NotAllowed, TransitionRefused
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_full_lifecycle_is_recorded_with_who_and_when(election: Election, official: User) -> None:
    services.open_election(election=election, actor=official, client_address="192.0.2.7")
    services.publish_results(election=election, actor=official)
    services.close_election(election=election, actor=official)
    services.certify_election(election=election, actor=official)
    election.refresh_from_db()
    assert election.status == Election.Status.CERTIFIED
    assert election.results_visibility == Election.Visibility.OFFICIAL
    assert election.status_changed_by == official
    assert election.status_changed_at is not None
    events = list(AuditEvent.objects.filter(object_type="elections.election", object_id=str(election.pk)))
    assert [event.action for event in events] == [
        "election.open",
        "election.publish",
        "election.close",
        "election.certify",
    ]
    assert events[0].before == {"status": "draft", "results_visibility": "hidden"}
    assert events[0].after == {"status": "open", "results_visibility": "hidden"}
    assert events[0].client_address == "192.0.2.7"
    assert {event.actor_name for event in events} == {"official"}
    assert find_chain_breaks() is None


def test_election_without_stations_cannot_open(election: Election, official: User) -> None:
    election.stations.all().delete()
    with pytest.raises(TransitionRefused, match="no polling stations"):
        services.open_election(election=election, actor=official)
    election.refresh_from_db()
    assert election.status == Election.Status.DRAFT
    assert not AuditEvent.objects.exists()


def test_election_without_contests_cannot_open(election: Election, official: User) -> None:
    Contest.objects.filter(election=election).delete()
    with pytest.raises(TransitionRefused, match="no contests"):
        services.open_election(election=election, actor=official)


def test_contest_without_candidates_blocks_opening_and_is_named(election: Election, official: User) -> None:
    Contest.objects.create(election=election, name="Council", slug="council", seats=5, max_choices=5)
    with pytest.raises(TransitionRefused) as refused:
        services.open_election(election=election, actor=official)
    assert "Council" in refused.value.message
    assert refused.value.details["problems"] == ["contest “Council” has no candidates"]


def test_district_contest_needs_stations_in_its_district(election: Election, official: User) -> None:
    empty = election.districts.create(code="E", name="Empty")
    contest = Contest.objects.create(election=election, name="Empty seat", slug="empty-seat", district=empty)
    Candidate.objects.create(contest=contest, name_en="Solo", name_ar="منفرد", ballot_order=1)
    with pytest.raises(TransitionRefused, match="not voted on at any polling station"):
        services.open_election(election=election, actor=official)


def test_a_district_whose_stations_all_lie_in_its_child_districts_may_open(election: Election, official: User) -> None:
    """The opening check follows the nesting as entry and the tallies do (a county holding only precincts' wards)."""
    county = election.districts.create(code="COUNTY", name="County")
    ward = election.districts.create(code="WARD", name="Ward", parent=county)
    election.stations.create(district=ward, code="W-1", name="Ward box", registered_voters=100)
    contest = Contest.objects.create(election=election, name="County seat", slug="county-seat", district=county)
    Candidate.objects.create(contest=contest, name_en="Solo", ballot_order=1)
    assert not any("County seat" in problem for problem in services.list_opening_problems(election))


@pytest.mark.parametrize(
    ("status", "service"),
    [
        ("open", services.open_election),
        ("draft", services.close_election),
        ("closed", services.close_election),
        ("draft", services.certify_election),
        ("open", services.certify_election),
        ("draft", services.publish_results),
    ],
)
def test_transition_from_wrong_status_is_refused(election: Election, official: User, status: str, service) -> None:
    Election.objects.filter(pk=election.pk).update(status=status)
    with pytest.raises(TransitionRefused):
        service(election=election, actor=official)
    election.refresh_from_db()
    assert election.status == status


def test_certified_is_final(election: Election, official: User) -> None:
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")
    for service in (
        services.open_election,
        services.close_election,
        services.publish_results,
        services.certify_election,
    ):
        with pytest.raises(TransitionRefused):
            service(election=election, actor=official)
    election.refresh_from_db()
    assert (election.status, election.results_visibility) == ("certified", "official")


def test_publishing_twice_is_refused(election: Election, official: User) -> None:
    services.open_election(election=election, actor=official)
    services.publish_results(election=election, actor=official)
    with pytest.raises(TransitionRefused, match="already public"):
        services.publish_results(election=election, actor=official)


def test_only_officials_change_status(election: Election, supervisor: User, clerk: User) -> None:
    for actor in (None, supervisor, clerk):
        with pytest.raises(NotAllowed):
            services.open_election(election=election, actor=actor)
    election.refresh_from_db()
    assert election.status == Election.Status.DRAFT


def test_superuser_may_change_status(election: Election) -> None:
    root = User.objects.create_superuser(username="root", password="x-long-password-1")
    services.open_election(election=election, actor=root)
    election.refresh_from_db()
    assert election.status == Election.Status.OPEN
