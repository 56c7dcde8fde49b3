"""The staff groups exist with the permissions their roles need, and no more."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from elections.models import Election, SupervisorAssignment
from elections.selectors import list_stations_for_user

pytestmark = pytest.mark.django_db


def _codes(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_migration_creates_the_three_staff_groups() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"Officials", "Supervisors", "Clerks"}


def test_officials_configure_elections_and_staff_and_read_the_audit_log() -> None:
    codes = _codes("Officials")
    for model in ("election", "district", "pollingstation", "party", "contest", "candidate", "clerkassignment"):
        for verb in ("add", "change", "delete", "view"):
            assert f"elections.{verb}_{model}" in codes
    assert {"trust.view_auditevent", "auth.add_user", "auth.change_user"} <= codes
    assert "trust.change_auditevent" not in codes
    assert "trust.delete_auditevent" not in codes
    assert "auth.change_group" not in codes


def test_supervisors_and_clerks_cannot_change_configuration() -> None:
    for group in ("Supervisors", "Clerks"):
        codes = _codes(group)
        assert codes, group
        assert all(code.split(".")[1].startswith("view_") for code in codes), codes


def test_clerk_sees_only_assigned_stations(election: Election, clerk: User) -> None:
    assert [station.code for station in list_stations_for_user(clerk)] == ["N-001"]


def test_supervisor_sees_the_stations_of_their_districts_and_below(election: Election, supervisor: User) -> None:
    north = election.districts.get(code="N")
    inner = election.districts.create(code="N1", name="North inner", parent=north)
    election.stations.create(district=inner, code="N1-001", name="Inner", registered_voters=10)
    SupervisorAssignment.objects.create(user=supervisor, district=north)
    assert sorted(s.code for s in list_stations_for_user(supervisor)) == ["N-001", "N-002", "N1-001"]


def test_official_sees_every_station(election: Election, official: User) -> None:
    assert list_stations_for_user(official).count() == 3


def test_user_without_role_sees_nothing(election: Election) -> None:
    nobody = User.objects.create_user(username="nobody", password="irrelevant-pass-1")
    assert not list_stations_for_user(nobody).exists()
