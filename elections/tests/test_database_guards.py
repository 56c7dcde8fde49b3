"""The database keeps a certified election final and the counting method fixed once open, whatever writes to it:
a raw ``save()``, ``delete()`` or ``QuerySet.update()`` fails as a service call would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError, models, transaction

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

pytestmark = pytest.mark.django_db


def _refused(write: Callable[[], object], match: str = "certified election is final") -> None:
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        write()


def _certify(election: Election) -> None:
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")


def _parts(election: Election, clerk: User, supervisor: User) -> dict[str, models.Model]:
    """One stored object of each configured model of ``election`` (a district and a party nothing refers to, so that
    Django's own protection of referred objects does not answer before the database)."""
    return {
        "district": District.objects.create(election=election, code="E", name="East"),
        "station": election.stations.get(code="N-001"),
        "party": Party.objects.create(election=election, name="Spare", abbreviation="SP"),
        "contest": election.contests.get(),
        "candidate": Candidate.objects.get(contest__election=election, ballot_order=1),
        "clerk assignment": clerk.clerk_assignments.get(),
        "supervisor assignment": SupervisorAssignment.objects.create(
            user=supervisor, district=election.districts.get(code="S")
        ),
    }


def test_nothing_of_a_certified_election_can_be_saved_updated_or_deleted(
    election: Election, clerk: User, supervisor: User
) -> None:
    parts = _parts(election, clerk, supervisor)
    _certify(election)
    for obj in parts.values():
        rows = type(obj)._default_manager.filter(pk=obj.pk)
        _refused(obj.save)
        _refused(obj.delete)
        _refused(partial(rows.update, id=models.F("id")))
    election.refresh_from_db()
    election.name = "Renamed"
    _refused(election.save)
    _refused(lambda: Election.objects.filter(pk=election.pk).update(status="closed"))
    # Django itself refuses to delete this election's protected parts first; an empty one reaches the database.
    empty = Election.objects.create(name="Empty", slug="empty", date=dt.date(2027, 1, 1))
    _certify(empty)
    _refused(empty.delete)
    assert Election.objects.get(pk=election.pk).status == "certified"
    assert all(type(obj)._default_manager.filter(pk=obj.pk).exists() for obj in parts.values())


def test_nothing_can_be_added_to_a_certified_election(election: Election, clerk: User, supervisor: User) -> None:
    north = election.districts.get(code="N")
    contest = election.contests.get()
    station = election.stations.get(code="N-002")
    _certify(election)
    additions: list[Callable[[], object]] = [
        lambda: District.objects.create(election=election, code="E", name="East"),
        lambda: PollingStation.objects.create(
            election=election, district=north, code="N-9", name="Late", registered_voters=1
        ),
        lambda: Party.objects.create(election=election, name="Late", abbreviation="LT"),
        lambda: Contest.objects.create(election=election, name="Late", slug="late"),
        lambda: Candidate.objects.create(contest=contest, name_en="Late", name_ar="متأخر", ballot_order=9),
        lambda: ClerkAssignment.objects.create(user=clerk, station=station),
        lambda: SupervisorAssignment.objects.create(user=supervisor, district=north),
        lambda: Election.objects.create(
            name="Born final", slug="born-final", date=dt.date(2027, 1, 1), status="certified"
        ),
    ]
    for add in additions:
        _refused(add)


def test_an_object_cannot_be_moved_into_a_certified_election(election: Election) -> None:
    final = Election.objects.create(name="Done", slug="done", date=dt.date(2025, 1, 1))
    _certify(final)
    _refused(lambda: Party.objects.filter(election=election).update(election=final))


def test_the_rest_of_the_database_is_unaffected(election: Election) -> None:
    other = Election.objects.create(name="Other", slug="other", date=dt.date(2027, 1, 1))
    _certify(election)
    District.objects.create(election=other, code="N", name="North")
    Election.objects.filter(pk=other.pk).update(name="Other, renamed")
    assert other.districts.count() == 1


def test_the_counting_method_is_fixed_in_the_database_once_the_election_has_left_draft(election: Election) -> None:
    Election.objects.filter(pk=election.pk).update(counting_method="ballots")
    for status in ("open", "closed"):
        Election.objects.filter(pk=election.pk).update(status=status)
        _refused(
            lambda: Election.objects.filter(pk=election.pk).update(counting_method="both"),
            match="counting method",
        )
        # Everything else of an open or closed election still changes.
        Election.objects.filter(pk=election.pk).update(double_entry=True, name=f"Renamed {status}")
    assert Election.objects.get(pk=election.pk).counting_method == "ballots"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_empties_a_database_holding_a_certified_election_and_keeps_the_guards(
    election: Election, official: User
) -> None:
    services.open_election(election=election, actor=official)
    services.close_election(election=election, actor=official)
    services.certify_election(election=election, actor=official)

    # As Django's test runner flushes after a test that commits (the next test restores the serialized rows).
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False, inhibit_post_migrate=True)

    assert not Election.objects.exists()
    assert not PollingStation.objects.exists()
    _refused(
        lambda: Election.objects.create(name="Born final", slug="final", date=dt.date(2027, 1, 1), status="certified")
    )
