"""The funnel: an accepted entry reaches the cached snapshot after commit, with exact sums and a version that only
grows, and the snapshot comes back from the database after the cache lost it."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from ballots.models import TallySheet
from ballots.services import quarantine_sheet
from elections.models import Contest, Election, PollingStation
from elections.services import publish_results
from results.selectors import get_public_snapshot, get_results_snapshot, snapshot_json
from results.services import changed_key, refresh_tallies, snapshot_key, version_key
from results.snapshot import Snapshot
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db


def votes_of(snapshot: Snapshot, slug: str = "mayor") -> list[int]:
    contest = next(c for c in snapshot["contests"] if c["slug"] == slug)
    return [row["votes"] for row in contest["totals"]["candidates"]]


def test_accepted_sheet_reaches_the_snapshot_only_after_commit(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> None:
    before = get_results_snapshot(election=published)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enter_sheet(station=station, contest=contest, actor=official, votes=[120, 80], key=new_key())
        assert cache.get(snapshot_key(published.slug))["version"] == before["version"]
    for callback in callbacks:
        callback()
    after = get_results_snapshot(election=published)
    assert after["version"] > before["version"]
    assert votes_of(after) == [120, 80]


def test_totals_sum_stations_and_leave_quarantined_ones_apart(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(
            station=station, contest=contest, actor=official, votes=[100, 50], blank=3, invalid=2, key=new_key()
        )
        enter_sheet(station=other_station, contest=contest, actor=official, votes=[10, 40], key=new_key())
        enter_sheet(station=south_station, contest=contest, actor=official, votes=[7, 9], key=new_key())
        sheet = TallySheet.objects.get(station=south_station, status="accepted")
        quarantine_sheet(sheet=sheet, reason="Seal broken on the box", actor=official, idempotency_key=new_key())
    snapshot = get_results_snapshot(election=published)
    mayor = snapshot["contests"][0]
    totals = mayor["totals"]
    assert votes_of(snapshot) == [110, 90]
    assert (totals["blank"], totals["invalid"], totals["ballots_cast"]) == (3, 2, 205)
    assert (totals["stations_reporting"], totals["stations_total"]) == (2, 3)
    assert totals["registered_voters"] == 800 + 650
    assert [c["leading"] for c in totals["candidates"]] == [True, False]
    assert totals["candidates"][0]["share"] == pytest.approx(110 / 200)
    assert mayor["quarantined"] == [south_station.pk]
    quarantined = next(row for row in mayor["stations"] if row["station_id"] == south_station.pk)
    assert quarantined["quarantine_reason"] == "Seal broken on the box"
    north = next(d for d in mayor["districts"] if d["district_id"] == station.district_id)
    assert [c["votes"] for c in north["candidates"]] == [110, 90]


def test_version_never_goes_back_after_a_cache_flush(published: Election) -> None:
    refresh_tallies(election_id=published.pk)
    first = get_results_snapshot(election=published)["version"]
    cache.clear()
    assert get_results_snapshot(election=published)["version"] == first
    refresh_tallies(election_id=published.pk)
    assert get_results_snapshot(election=published)["version"] == first + 1


def test_snapshot_is_rebuilt_from_the_database_after_the_cache_is_flushed(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[30, 20], key=new_key())
    served = get_results_snapshot(election=published)
    cache.clear()  # in server mode a real FLUSHDB of this test run's Redis database
    assert cache.get(snapshot_key(published.slug)) is None
    rebuilt = get_public_snapshot(slug=published.slug)
    assert rebuilt is not None
    assert votes_of(rebuilt) == votes_of(served) == [30, 20]
    assert rebuilt["version"] == served["version"]
    assert cache.get(snapshot_key(published.slug))["version"] == served["version"]


def test_status_change_refreshes_the_snapshot(
    open_vote: Election, official: User, django_capture_on_commit_callbacks
) -> None:
    assert get_public_snapshot(slug=open_vote.slug) is None
    with django_capture_on_commit_callbacks(execute=True):
        publish_results(election=open_vote, actor=official)
    snapshot = get_public_snapshot(slug=open_vote.slug)
    assert snapshot is not None
    assert snapshot["election"]["results_visibility"] == "provisional"


def test_refresh_runs_a_constant_number_of_queries(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[1, 2], key=new_key())
        enter_sheet(station=other_station, contest=contest, actor=official, votes=[3, 4], key=new_key())
    # Vote types, electoral districts and votes by type are a query each, whatever the election's size.
    with django_assert_max_num_queries(22):
        refresh_tallies(election_id=published.pk)


def test_a_refresh_lost_with_its_process_is_made_up_by_the_next_reader(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
) -> None:
    served = get_public_snapshot(slug=published.slug)
    assert served is not None
    # The entry commits, but its process dies before the refresh that runs after commit.
    with django_capture_on_commit_callbacks(execute=False):
        enter_sheet(station=station, contest=contest, actor=official, votes=[77, 33], key=new_key())
    current = get_public_snapshot(slug=published.slug)
    assert current is not None
    assert votes_of(current) == votes_of(served)  # not noticed yet: the change is too recent
    # Time passes (the change was noted long after the snapshot was counted): the next reader asks for a recount.
    cache.set(changed_key(published.slug), served["counted_at"] + 60)
    fresh = get_public_snapshot(slug=published.slug)
    assert fresh is not None
    assert votes_of(fresh) == [77, 33]
    assert fresh["version"] > served["version"]


def test_a_snapshot_counted_after_the_last_change_is_served_without_a_query(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[5, 6], key=new_key())
    with django_assert_num_queries(0):
        snapshot = get_public_snapshot(slug=published.slug)
    assert snapshot is not None
    assert votes_of(snapshot) == [5, 6]


def test_a_reader_finding_the_version_unchanged_takes_the_snapshot_it_holds_and_a_new_version_at_once(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    django_capture_on_commit_callbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = get_public_snapshot(slug=published.slug)
    assert first is not None
    asked: list[list[str]] = []
    real_get_many = cache.get_many

    def get_many(keys: list[str]) -> dict[str, object]:
        asked.append(list(keys))
        return real_get_many(keys)

    monkeypatch.setattr(cache, "get_many", get_many)

    again = get_public_snapshot(slug=published.slug)
    assert again is first
    assert asked == [[version_key(published.slug), changed_key(published.slug)]]  # a few bytes, not the snapshot

    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[61, 39], key=new_key())
    newer = get_public_snapshot(slug=published.slug)
    assert newer is not None
    assert newer["version"] > first["version"]
    assert votes_of(newer) == [61, 39]
    assert snapshot_key(published.slug) in asked[-1]

    # The version lost from the cache (a flush): the reader fetches the snapshot itself again.
    cache.delete(version_key(published.slug))
    assert get_public_snapshot(slug=published.slug) == newer
    assert snapshot_key(published.slug) in asked[-1]


def test_the_json_snapshot_is_encoded_once_per_version(published: Election) -> None:
    snapshot = get_public_snapshot(slug=published.slug)
    assert snapshot is not None
    text = snapshot_json(snapshot)
    assert json.loads(text) == snapshot
    assert snapshot_json(snapshot) is text
    assert snapshot_json({**snapshot, "version": snapshot["version"] + 1}) is not text
