"""Reads about elections and who may work on which polling stations."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet

from elections.models import District, Election, PollingStation, SupervisorAssignment
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
