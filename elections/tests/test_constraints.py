"""What must hold is enforced by the database itself, not only by forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from elections.models import Candidate, Contest, District, Election, Party, PollingStation

pytestmark = pytest.mark.django_db


def _refused_by_database(write: Callable[[], object]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_station_code_is_unique_within_an_election(election: Election) -> None:
    district = election.districts.get(code="N")
    _refused_by_database(
        lambda: PollingStation.objects.create(
            election=election, district=district, code="N-001", name="Copy", registered_voters=1
        )
    )


def test_the_same_station_code_may_exist_in_another_election(election: Election) -> None:
    other = Election.objects.create(name="Other", slug="other", date=dt.date(2027, 1, 1))
    district = District.objects.create(election=other, code="N", name="North")
    PollingStation.objects.create(
        election=other, district=district, code="N-001", name="Same code", registered_voters=5
    )
    assert PollingStation.objects.filter(code="N-001").count() == 2


def test_district_code_is_unique_within_an_election(election: Election) -> None:
    _refused_by_database(lambda: District.objects.create(election=election, code="N", name="Again"))


def test_registered_voters_cannot_be_negative(election: Election) -> None:
    _refused_by_database(lambda: election.stations.filter(code="N-001").update(registered_voters=-1))


@pytest.mark.parametrize(("field", "value"), [("seats", 0), ("max_choices", 0)])
def test_contest_needs_at_least_one_seat_and_one_choice(election: Election, field: str, value: int) -> None:
    _refused_by_database(lambda: Contest.objects.filter(election=election).update(**{field: value}))


def test_contest_slug_is_unique_within_an_election(election: Election) -> None:
    _refused_by_database(lambda: Contest.objects.create(election=election, name="Mayor again", slug="mayor"))


def test_candidate_ballot_order_is_unique_and_positive(election: Election) -> None:
    contest = election.contests.get()
    _refused_by_database(lambda: Candidate.objects.create(contest=contest, name_en="X", name_ar="س", ballot_order=1))
    _refused_by_database(lambda: Candidate.objects.filter(contest=contest, ballot_order=1).update(ballot_order=0))


def test_party_colour_must_be_hex(election: Election) -> None:
    _refused_by_database(lambda: Party.objects.filter(election=election).update(colour="red"))
    party = Party(election=election, name="Blue", abbreviation="BL", colour="blue")
    with pytest.raises(ValidationError) as error:
        party.full_clean()
    assert "colour" in error.value.message_dict


def test_party_abbreviation_is_unique_within_an_election(election: Election) -> None:
    _refused_by_database(lambda: Party.objects.create(election=election, name="Other", abbreviation="GL"))


def test_coordinates_come_in_pairs_and_in_range(election: Election) -> None:
    stations = PollingStation.objects.filter(code="N-001")
    _refused_by_database(lambda: stations.update(latitude=Decimal("31.9")))
    _refused_by_database(lambda: stations.update(latitude=Decimal("91"), longitude=Decimal("35.9")))
    _refused_by_database(lambda: stations.update(latitude=Decimal("31.9"), longitude=Decimal("-181")))
    stations.update(latitude=Decimal("31.95"), longitude=Decimal("35.93"))


def test_results_can_be_official_only_for_a_certified_election(election: Election) -> None:
    _refused_by_database(lambda: Election.objects.filter(pk=election.pk).update(results_visibility="official"))
    Election.objects.filter(pk=election.pk).update(status="certified", results_visibility="official")


def test_status_outside_the_known_ones_is_refused(election: Election) -> None:
    _refused_by_database(lambda: Election.objects.filter(pk=election.pk).update(status="archived"))


def test_district_cannot_be_its_own_parent(election: Election) -> None:
    north = election.districts.get(code="N")
    _refused_by_database(lambda: District.objects.filter(pk=north.pk).update(parent=north))


def test_district_parent_cycle_is_refused_by_validation(election: Election) -> None:
    north = election.districts.get(code="N")
    south = election.districts.get(code="S")
    south.parent = north
    south.save()
    north.parent = south
    with pytest.raises(ValidationError) as error:
        north.full_clean()
    assert "parent" in error.value.message_dict


def test_station_district_must_belong_to_the_same_election(election: Election) -> None:
    other = Election.objects.create(name="Other", slug="other", date=dt.date(2027, 1, 1))
    station = PollingStation(
        election=other, district=election.districts.first(), code="X", name="X", registered_voters=1
    )
    with pytest.raises(ValidationError) as error:
        station.full_clean()
    assert "district" in error.value.message_dict


def test_candidate_party_must_belong_to_the_contest_election(election: Election) -> None:
    other = Election.objects.create(name="Other", slug="other", date=dt.date(2027, 1, 1))
    foreign_party = Party.objects.create(election=other, name="Foreign", abbreviation="FP")
    candidate = Candidate(
        contest=election.contests.get(), name_en="New", name_ar="جديد", party=foreign_party, ballot_order=9
    )
    with pytest.raises(ValidationError) as error:
        candidate.full_clean()
    assert "party" in error.value.message_dict
