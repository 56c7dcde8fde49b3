"""The services that configure a real election's shapes: vote types and what sheets count are fixed once the
election leaves draft; an electoral district is written with its members, audited before and after; contests name
their area, kind and threshold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from elections import services
from elections.models import Candidate, Contest, Election, ElectoralDistrict, VoteType
from elections.services import ConfigurationRefused
from elections.tests.support import ResultsChanges, events_since, last_event_id

pytestmark = pytest.mark.django_db


def _vote_type(election: Election, code: str = "MAIL") -> VoteType:
    return VoteType(election=election, code=code, name="Mail", nist_type="absentee-mail", position=2)


def test_vote_types_are_created_changed_and_deleted_with_one_event_each_while_the_election_is_a_draft(
    election: Election, official: User, results_changes: ResultsChanges
) -> None:
    start = last_event_id()

    vote_type = services.create_vote_type(vote_type=_vote_type(election), actor=official)
    vote_type.nist_type = "absentee"
    services.change_vote_type(vote_type=vote_type, actor=official)
    services.delete_vote_type(vote_type=vote_type, actor=official)

    created, changed, deleted = events_since(start)
    assert created.action == "votetype.create"
    assert created.after == {
        "election": election.pk,
        "code": "MAIL",
        "name": "Mail",
        "name_ar": "",
        "nist_type": "absentee-mail",
        "position": 2,
    }
    assert (changed.before, changed.after) == ({"nist_type": "absentee-mail"}, {"nist_type": "absentee"})
    assert deleted.action == "votetype.delete"
    assert results_changes.noted_elections() == {election.pk}


def test_vote_types_cannot_be_added_changed_or_removed_once_the_election_has_left_draft(
    election: Election, official: User
) -> None:
    stored = services.create_vote_type(vote_type=_vote_type(election, "ED"), actor=official)
    services.open_election(election=election, actor=official)
    start = last_event_id()
    stored.name = "Polling day"

    attempts = [
        lambda: services.create_vote_type(vote_type=_vote_type(election), actor=official),
        lambda: services.change_vote_type(vote_type=stored, actor=official),
        lambda: services.delete_vote_type(vote_type=stored, actor=official),
    ]
    for attempt in attempts:
        with pytest.raises(ConfigurationRefused) as refused:
            attempt()
        assert refused.value.code == "vote_types_frozen"
        assert "can no longer change: it is Open for entry" in refused.value.message

    assert list(VoteType.objects.filter(election=election).values_list("code", "name")) == [("ED", "Mail")]
    assert events_since(start) == []


@pytest.mark.parametrize("flag", ["counts_blank_and_invalid", "counts_undervotes_and_overvotes"])
def test_what_sheets_count_is_fixed_once_the_election_has_left_draft(
    election: Election, official: User, flag: str
) -> None:
    setattr(election, flag, not getattr(election, flag))
    services.change_election(election=election, actor=official)
    services.open_election(election=election, actor=official)
    election.refresh_from_db()
    start = last_event_id()

    setattr(election, flag, not getattr(election, flag))
    with pytest.raises(ConfigurationRefused) as refused:
        services.change_election(election=election, actor=official)

    assert refused.value.code == "counting_frozen"
    assert list(refused.value.details["fields"]) == [flag]
    assert "fixed once the election leaves draft" in refused.value.message
    assert getattr(Election.objects.get(pk=election.pk), flag) != getattr(election, flag)
    assert events_since(start) == []


def test_an_electoral_district_is_written_with_its_members_in_one_event(
    election: Election, official: User, results_changes: ResultsChanges
) -> None:
    north = election.districts.get(code="N")
    n_001, s_001 = election.stations.get(code="N-001"), election.stations.get(code="S-001")
    start = last_event_id()

    area = services.create_electoral_district(
        electoral_district=ElectoralDistrict(election=election, code="HD", name="House"),
        districts=[north],
        stations=[s_001],
        actor=official,
        client_address="192.0.2.1",
    )
    services.change_electoral_district(electoral_district=area, stations=[s_001, n_001], actor=official)
    area.name = "House District"
    services.change_electoral_district(electoral_district=area, actor=official)

    created, members_changed, renamed = events_since(start)
    assert created.after == {
        "election": election.pk,
        "code": "HD",
        "name": "House",
        "name_ar": "",
        "districts": [north.pk],
        "stations": [s_001.pk],
    }
    assert (members_changed.before, members_changed.after) == (
        {"stations": [s_001.pk]},
        {"stations": sorted([s_001.pk, n_001.pk])},
    )
    assert (renamed.before, renamed.after) == ({"name": "House"}, {"name": "House District"})
    assert list(area.districts.all()) == [north]
    assert results_changes.noted_elections() == {election.pk}


def test_members_of_another_election_are_refused_naming_them(election: Election, official: User) -> None:
    other = Election.objects.create(name="Other", slug="other", date=election.date)
    foreign = other.districts.create(code="O", name="Other district")
    start = last_event_id()

    with pytest.raises(ConfigurationRefused) as refused:
        services.create_electoral_district(
            electoral_district=ElectoralDistrict(election=election, code="HD", name="House"),
            districts=[election.districts.get(code="N"), foreign],
            actor=official,
        )

    assert refused.value.details["fields"] == {"districts": ["These belong to another election: O Other district."]}
    assert not ElectoralDistrict.objects.exists()
    assert events_since(start) == []


def test_an_electoral_district_a_contest_is_voted_in_is_not_deleted(election: Election, official: User) -> None:
    area = services.create_electoral_district(
        electoral_district=ElectoralDistrict(election=election, code="HD", name="House"),
        stations=[election.stations.get(code="N-001")],
        actor=official,
    )
    Contest.objects.create(election=election, name="House seat", slug="house", electoral_district=area)

    with pytest.raises(ConfigurationRefused) as refused:
        services.delete_electoral_district(electoral_district=area, actor=official)
    assert refused.value.code == "in_use"
    assert "House seat" in refused.value.message

    Contest.objects.filter(slug="house").delete()
    services.delete_electoral_district(electoral_district=area, actor=official)
    event = events_since(0)[-1]
    assert event.action == "electoraldistrict.delete"
    assert event.before is not None
    assert event.before["stations"] == [election.stations.get(code="N-001").pk]


def test_a_contest_names_its_area_kind_and_threshold_and_refuses_a_mixed_one(
    election: Election, official: User
) -> None:
    area = ElectoralDistrict.objects.create(election=election, code="HD", name="House")
    start = last_event_id()

    measure = services.create_contest(
        contest=Contest(
            election=election,
            name="Bond",
            slug="bond",
            kind="measure",
            electoral_district=area,
            threshold=Decimal("0.6"),
        ),
        actor=official,
    )
    both = Contest(election=election, name="Both", slug="both", district=election.districts.get(code="N"))
    both.electoral_district = area
    with pytest.raises(ConfigurationRefused, match="Choose a district or an electoral district, not both"):
        services.create_contest(contest=both, actor=official)
    threshold_on_candidates = Contest(election=election, name="Seat", slug="seat", threshold=Decimal("0.5"))
    with pytest.raises(ConfigurationRefused) as refused:
        services.create_contest(contest=threshold_on_candidates, actor=official)

    assert refused.value.details["fields"] == {"threshold": ["Only a ballot measure has a threshold."]}
    (event,) = events_since(start)
    assert event.after is not None
    assert (event.after["kind"], event.after["electoral_district"], event.after["threshold"]) == (
        "measure",
        area.pk,
        "0.6",
    )
    assert measure.scope_label == "HD House"


def test_a_write_in_candidate_is_audited_as_one(election: Election, official: User) -> None:
    candidate = services.create_candidate(
        candidate=Candidate(contest=election.contests.get(), name_en="Write-ins", ballot_order=3, is_write_in=True),
        actor=official,
    )

    candidate.is_write_in = False
    services.change_candidate(candidate=candidate, actor=official)

    created, changed = events_since(0)[-2:]
    assert created.after is not None
    assert (created.after["is_write_in"], created.after["name_ar"]) == (True, "")
    assert (changed.before, changed.after) == ({"is_write_in": True}, {"is_write_in": False})


def test_the_area_a_contest_is_counted_over_keeps_its_members_once_the_election_has_left_draft(
    election: Election, official: User
) -> None:
    north, south = election.districts.get(code="N"), election.districts.get(code="S")
    s_001 = election.stations.get(code="S-001")
    counted = services.create_electoral_district(
        electoral_district=ElectoralDistrict(election=election, code="HD", name="House"), districts=[north],
        actor=official,
    )  # fmt: skip
    unused = services.create_electoral_district(
        electoral_district=ElectoralDistrict(election=election, code="SD", name="School"), districts=[north],
        actor=official,
    )  # fmt: skip
    contest = election.contests.order_by("pk").first()
    assert contest is not None
    contest.district, contest.electoral_district = None, counted
    services.change_contest(contest=contest, actor=official)
    services.open_election(election=election, actor=official)
    start = last_event_id()

    for attempt in (
        lambda: services.change_electoral_district(electoral_district=counted, stations=[s_001], actor=official),
        lambda: services.change_electoral_district(electoral_district=counted, districts=[south], actor=official),
    ):
        with pytest.raises(ConfigurationRefused) as refused:
            attempt()
        assert refused.value.code == "area_frozen"
        assert "fixed once the election leaves draft" in refused.value.message
    assert list(counted.districts.all()) == [north]
    assert list(counted.stations.all()) == []
    assert events_since(start) == []

    # Its name may still be put right, its members given again unchanged, and an area no contest uses may move.
    counted.name = "House District 7"
    services.change_electoral_district(electoral_district=counted, districts=[north], stations=[], actor=official)
    services.change_electoral_district(electoral_district=unused, districts=[south], actor=official)
    assert ElectoralDistrict.objects.get(pk=counted.pk).name == "House District 7"
    assert list(unused.districts.all()) == [south]
