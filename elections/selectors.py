"""Reads about elections and who may work on which polling stations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet

from elections.models import Contest, District, Election, ElectoralDistrict, PollingStation, SupervisorAssignment
from trust.roles import is_official


def list_elections_for_home() -> QuerySet[Election]:
    """Every election that is not a draft, newest first, with its size."""
    return (
        Election.objects.exclude(status=Election.Status.DRAFT)
        .annotate(station_count=Count("stations", distinct=True), contest_count=Count("contests", distinct=True))
        .order_by("-date", "name")
    )


def list_district_ids_under(district_ids: set[int]) -> set[int]:
    """The given districts and every district inside them, at any depth."""
    found = set(district_ids)
    frontier = set(district_ids)
    while frontier:
        frontier = set(District.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def _stations_by_district(
    districts: Iterable[tuple[int, int | None]], stations: Iterable[tuple[int, int]]
) -> dict[int, set[int]]:
    """Each district (id, parent id) and the stations (id, district id) in it or in any district inside it."""
    parent = dict(districts)
    found: dict[int, set[int]] = defaultdict(set)
    for station_id, district_id in stations:
        seen: set[int] = set()
        current: int | None = district_id
        while current is not None and current not in seen:
            seen.add(current)
            found[current].add(station_id)
            current = parent.get(current)
    return found


def _electoral_district_members(election_id: int, by_district: dict[int, set[int]]) -> dict[int, set[int]]:
    """Each electoral district of the election and the stations voting in it: its own, and those of its districts
    at any depth."""
    areas: dict[int, set[int]] = {
        pk: set() for pk in ElectoralDistrict.objects.filter(election_id=election_id).values_list("pk", flat=True)
    }
    through_districts = ElectoralDistrict.districts.through.objects.filter(electoraldistrict__election_id=election_id)
    for area_id, district_id in through_districts.values_list("electoraldistrict_id", "district_id"):
        areas[area_id] |= by_district.get(district_id, set())
    through_stations = ElectoralDistrict.stations.through.objects.filter(electoraldistrict__election_id=election_id)
    for area_id, station_id in through_stations.values_list("electoraldistrict_id", "pollingstation_id"):
        areas[area_id].add(station_id)
    return areas


def list_contest_station_ids(
    *,
    election_id: int,
    districts: Iterable[District] | None = None,
    stations: Iterable[PollingStation] | None = None,
    contests: Iterable[Contest] | None = None,
) -> dict[int, set[int]]:
    """THE rule of which stations vote on which contest, for entry, opening checks, tallies and exports alike: a
    contest over an electoral district covers its stations; over a district, the stations in it at any depth; over
    neither, every station of the election. A caller that holds the election's districts, stations or contests
    already passes them; the rest is read in constant queries."""
    district_rows = (
        [(d.pk, d.parent_id) for d in districts]
        if districts is not None
        else list(District.objects.filter(election_id=election_id).values_list("pk", "parent_id"))
    )
    station_rows = (
        [(s.pk, s.district_id) for s in stations]
        if stations is not None
        else list(PollingStation.objects.filter(election_id=election_id).values_list("pk", "district_id"))
    )
    contest_rows = (
        [(c.pk, c.district_id, c.electoral_district_id) for c in contests]
        if contests is not None
        else list(
            Contest.objects.filter(election_id=election_id).values_list("pk", "district_id", "electoral_district_id")
        )
    )
    by_district = _stations_by_district(district_rows, station_rows)
    every = {pk for pk, _district in station_rows}
    # Electoral districts are read only when a contest is over one: most elections have none.
    areas = (
        _electoral_district_members(election_id, by_district)
        if any(area_id is not None for _pk, _district, area_id in contest_rows)
        else {}
    )
    found: dict[int, set[int]] = {}
    for contest_id, district_id, area_id in contest_rows:
        if area_id is not None:
            found[contest_id] = set(areas.get(area_id, set()))
        elif district_id is not None:
            found[contest_id] = set(by_district.get(district_id, set()))
        else:
            found[contest_id] = set(every)
    return found


def contest_covers_station(contest: Contest, station: PollingStation) -> bool:
    """Whether ``station`` votes on ``contest`` (the rule of ``list_contest_station_ids``, for one pair)."""
    if contest.election_id != station.election_id:
        return False
    if contest.electoral_district_id is not None:
        area = ElectoralDistrict.objects.filter(pk=contest.electoral_district_id)
        if area.filter(stations=station).exists():
            return True
        area_districts = set(area.values_list("districts", flat=True)) - {None}
        return bool(area_districts) and station.district_id in list_district_ids_under(area_districts)
    if contest.district_id is not None:
        return station.district_id in list_district_ids_under({contest.district_id})
    return True


def list_stations_for_user(user: User | AnonymousUser) -> QuerySet[PollingStation]:
    """The polling stations ``user`` may work on: all for an official, a supervisor's districts, a clerk's own."""
    stations = PollingStation.objects.select_related("district", "election")
    if not user.is_authenticated:
        return stations.none()
    if is_official(user):
        return stations
    supervised = set(SupervisorAssignment.objects.filter(user=user).values_list("district_id", flat=True))
    district_ids = list_district_ids_under(supervised) if supervised else set()
    return stations.filter(Q(district_id__in=district_ids) | Q(clerk_assignments__user=user)).distinct()


def supervises(user: User, station: PollingStation) -> bool:
    """Whether ``user`` is an official or supervises the district (or a parent district) of ``station``."""
    if is_official(user):
        return True
    supervised = set(SupervisorAssignment.objects.filter(user=user).values_list("district_id", flat=True))
    return bool(supervised) and station.district_id in list_district_ids_under(supervised)


def works_at(user: User, station: PollingStation) -> bool:
    """Whether ``user`` may work on ``station``: an official on every station, others where they are assigned."""
    return is_official(user) or list_stations_for_user(user).filter(pk=station.pk).exists()


def can_review(user: User) -> bool:
    """Whether ``user`` is an official or supervises some district: the review queue is theirs."""
    return is_official(user) or SupervisorAssignment.objects.filter(user=user).exists()
