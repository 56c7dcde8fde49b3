"""Every configuration write goes through a service: it checks who and the rules, and leaves one audit event with
before and after and one results note per object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import models

from elections import services
from elections.models import (
    Candidate,
    ClerkAssignment,
    Contest,
    District,
    Election,
    Party,
    PollingStation,
    SupervisorAssignment,
)
from elections.services import OPERATOR, ConfigurationRefused
from elections.tests.support import ResultsChanges, events_since, last_event_id
from trust.audit import find_chain_breaks, to_json_value
from trust.errors import NotAllowed
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db

ADDRESS = "192.0.2.1"


@dataclass(frozen=True)
class Case:
    """One configured model: a new object of the shared election, the field to edit and its new value, and its
    three services with the name under which they take the object."""

    label: str
    new: Callable[[Election], models.Model]
    field: str
    value: Callable[[Election], Any]
    services: tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]
    argument: str

    def call(self, verb: int, obj: models.Model, actor: Any) -> Any:
        return self.services[verb](**{self.argument: obj}, actor=actor, client_address=ADDRESS)


def _staff(username: str) -> User:
    return User.objects.get_or_create(username=username)[0]


CASES = [
    Case(
        "election",
        lambda e: Election(name="Council 2027", slug="council-2027", date=dt.date(2027, 3, 1)),
        "time_zone",
        lambda e: "Asia/Amman",
        (services.create_election, services.change_election, services.delete_election),
        "election",
    ),
    Case(
        "district",
        lambda e: District(election=e, code="E", name="East"),
        "name",
        lambda e: "East Side",
        (services.create_district, services.change_district, services.delete_district),
        "district",
    ),
    Case(
        "pollingstation",
        lambda e: PollingStation(
            election=e, district=e.districts.get(code="N"), code="N-009", name="Clinic", registered_voters=10
        ),
        "registered_voters",
        lambda e: 25,
        (services.create_station, services.change_station, services.delete_station),
        "station",
    ),
    Case(
        "party",
        lambda e: Party(election=e, name="Blue Union", abbreviation="BU", colour="#1F77B4"),
        "colour",
        lambda e: "#D62728",
        (services.create_party, services.change_party, services.delete_party),
        "party",
    ),
    Case(
        "contest",
        lambda e: Contest(election=e, name="Council", slug="council"),
        "district",
        lambda e: e.districts.get(code="S").pk,
        (services.create_contest, services.change_contest, services.delete_contest),
        "contest",
    ),
    Case(
        "candidate",
        lambda e: Candidate(contest=e.contests.get(), name_en="Rana Saleh", name_ar="رنا صالح", ballot_order=3),
        "name_en",
        lambda e: "Rana Saleh-Khoury",
        (services.create_candidate, services.change_candidate, services.delete_candidate),
        "candidate",
    ),
    Case(
        "clerkassignment",
        lambda e: ClerkAssignment(user=_staff("clerk-two"), station=e.stations.get(code="N-001")),
        "station",
        lambda e: e.stations.get(code="S-001").pk,
        (services.create_clerk_assignment, services.change_clerk_assignment, services.delete_clerk_assignment),
        "assignment",
    ),
    Case(
        "supervisorassignment",
        lambda e: SupervisorAssignment(user=_staff("supervisor-two"), district=e.districts.get(code="N")),
        "district",
        lambda e: e.districts.get(code="S").pk,
        (
            services.create_supervisor_assignment,
            services.change_supervisor_assignment,
            services.delete_supervisor_assignment,
        ),
        "assignment",
    ),
]
CREATE, CHANGE, DELETE = 0, 1, 2


def _set(obj: models.Model, field: str, value: Any) -> None:
    model_field = obj._meta.get_field(field)
    assert isinstance(model_field, models.Field)
    setattr(obj, model_field.attname, value)


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_create_change_and_delete_each_leave_one_event_with_before_and_after_and_note_the_results(
    case: Case, election: Election, official: User, results_changes: ResultsChanges
) -> None:
    start = last_event_id()
    obj = case.call(CREATE, case.new(election), official)
    election_id = obj.pk if case.label == "election" else election.pk
    old = obj._meta.get_field(case.field).value_from_object(obj)
    _set(obj, case.field, case.value(election))
    case.call(CHANGE, obj, official)
    case.call(DELETE, obj, official)

    created, changed, deleted = events_since(start)
    assert [created.action, changed.action, deleted.action] == [
        f"{case.label}.create",
        f"{case.label}.change",
        f"{case.label}.delete",
    ]
    assert created.before is None
    assert created.after is not None
    assert created.after[case.field] == to_json_value(old)
    assert (changed.before, changed.after) == ({case.field: to_json_value(old)}, {case.field: case.value(election)})
    assert deleted.before is not None
    assert deleted.before[case.field] == case.value(election)
    assert deleted.after is None
    for event in (created, changed, deleted):
        assert (event.election_id, event.actor_name, event.client_address) == (election_id, "official", ADDRESS)
        assert "password" not in (event.before or {})
        assert "password" not in (event.after or {})
    assert [change.election_id for change in results_changes.noted] == [election_id] * 3
    assert find_chain_breaks() is None


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_a_change_that_changes_nothing_writes_nothing(
    case: Case, election: Election, official: User, results_changes: ResultsChanges
) -> None:
    obj = case.call(CREATE, case.new(election), official)
    start, heard = last_event_id(), len(results_changes.noted)
    case.call(CHANGE, obj, official)
    assert events_since(start) == []
    assert len(results_changes.noted) == heard


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_only_an_official_or_the_operator_configures(
    case: Case, election: Election, supervisor: User, clerk: User
) -> None:
    for actor in (None, supervisor, clerk):
        with pytest.raises(NotAllowed):
            case.call(CREATE, case.new(election), actor)
    assert not AuditEvent.objects.exists()
    obj = case.call(CREATE, case.new(election), OPERATOR)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.actor_name) == (f"{case.label}.create", None, "")
    assert obj.pk is not None


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_a_certified_election_refuses_every_configuration_service(
    case: Case, election: Election, official: User, results_changes: ResultsChanges
) -> None:
    stored = case.call(CREATE, case.new(election), official)
    if case.label == "election":
        election = stored
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")
    start, heard = last_event_id(), len(results_changes.noted)

    if case.label != "election":
        with pytest.raises(ConfigurationRefused) as refused:
            case.call(CREATE, case.new(election), official)
        assert refused.value.code == "election_certified"
    _set(stored, case.field, case.value(election))
    for verb in (CHANGE, DELETE):
        with pytest.raises(ConfigurationRefused) as refused:
            case.call(verb, stored, official)
        assert refused.value.code == "election_certified"
        assert "is certified" in refused.value.message

    assert events_since(start) == []
    assert len(results_changes.noted) == heard
    assert type(stored).objects.filter(pk=stored.pk).exists()


def test_the_counting_method_is_refused_once_the_election_has_left_draft(election: Election, official: User) -> None:
    services.open_election(election=election, actor=official)
    election.refresh_from_db()
    start = last_event_id()
    election.counting_method = Election.CountingMethod.BALLOTS
    with pytest.raises(ConfigurationRefused) as refused:
        services.change_election(election=election, actor=official)
    assert refused.value.code == "counting_method_frozen"
    assert "counting method" in refused.value.message
    assert list(refused.value.details["fields"]) == ["counting_method"]
    assert Election.objects.get(pk=election.pk).counting_method == Election.CountingMethod.TALLY_SHEETS
    assert events_since(start) == []


def test_an_open_election_still_takes_a_new_name_and_double_entry(election: Election, official: User) -> None:
    services.open_election(election=election, actor=official)
    election.refresh_from_db()
    election.name, election.double_entry = "Test Election (revised)", True
    services.change_election(election=election, actor=official)
    event = AuditEvent.objects.filter(action="election.change").get()
    assert event.before == {"name": "Test Election", "double_entry": False}
    assert event.after == {"name": "Test Election (revised)", "double_entry": True}


def test_a_draft_election_may_change_its_counting_method(election: Election, official: User) -> None:
    election.counting_method = Election.CountingMethod.BOTH
    services.change_election(election=election, actor=official)
    assert Election.objects.get(pk=election.pk).counting_method == Election.CountingMethod.BOTH


def test_status_is_not_set_by_the_configuration_services(election: Election, official: User) -> None:
    with pytest.raises(ConfigurationRefused, match="starts as a draft"):
        services.create_election(
            election=Election(name="Early", slug="early", date=dt.date(2027, 1, 1), status="open"), actor=official
        )
    election.status = Election.Status.CERTIFIED
    election.name = "Renamed"
    services.change_election(election=election, actor=official)
    assert Election.objects.values_list("status", "name").get(pk=election.pk) == ("draft", "Renamed")


def test_an_invalid_object_is_refused_with_its_fields(election: Election, official: User) -> None:
    station = PollingStation(
        election=election, district=election.districts.get(code="N"), code="N-001", name="Twin", registered_voters=1
    )
    with pytest.raises(ConfigurationRefused) as refused:
        services.create_station(station=station, actor=official)
    assert refused.value.code == "invalid"
    assert refused.value.details["fields"]
    assert not AuditEvent.objects.exists()


def test_an_object_in_use_is_not_deleted_and_its_users_are_named(election: Election, official: User) -> None:
    with pytest.raises(ConfigurationRefused) as refused:
        services.delete_district(district=election.districts.get(code="S"), actor=official)
    assert refused.value.code == "in_use"
    assert "S-001 South Library" in refused.value.message
    assert election.districts.filter(code="S").exists()
    assert not AuditEvent.objects.exists()


def test_deleting_a_contest_counts_the_candidates_deleted_with_it(election: Election, official: User) -> None:
    services.delete_contest(contest=election.contests.get(), actor=official)
    event = AuditEvent.objects.get(action="contest.delete")
    assert event.before is not None
    assert event.before["deleted_with_it"] == {"elections.Candidate": 2}
    assert event.object_repr == "Mayor"
    assert not Candidate.objects.filter(contest__election=election).exists()


def test_moving_an_object_into_a_certified_election_is_refused(election: Election, official: User) -> None:
    final = Election.objects.create(name="Done", slug="done", date=dt.date(2025, 1, 1))
    Election.objects.filter(pk=final.pk).update(status="certified", results_visibility="official")
    party = election.parties.get()
    party.election = final
    with pytest.raises(ConfigurationRefused, match="is certified"):
        services.change_party(party=party, actor=official)
    assert election.parties.filter(pk=party.pk).exists()


def test_writes_inside_one_block_note_each_election_once(
    election: Election, official: User, results_changes: ResultsChanges
) -> None:
    with services.one_results_note_per_election():
        for number in range(3):
            services.create_party(
                party=Party(election=election, name=f"Party {number}", abbreviation=f"P{number}"), actor=official
            )
        assert results_changes.noted == []
    assert [change.election_id for change in results_changes.noted] == [election.pk]
    assert AuditEvent.objects.filter(action="party.create").count() == 3
