"""The live channel through the real channel layer (in-memory embedded, Redis pub/sub in server mode): an entry
reaches a viewer only after commit, bursts are coalesced, and a viewer that missed a version can tell."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import transaction

from elections.models import Contest, Election, PollingStation
from results.consumers import MESSAGE_TOO_BIG_CLOSE_CODE
from results.services import current_version, refresh_tallies
from results.tests.support import ORIGIN, close_sync_thread_connections, enter_sheet, viewer  # noqa: F401 - autouse
from votetracker.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


async def collect(communicator: WebsocketCommunicator, seconds: float) -> list[dict[str, Any]]:
    frames = []
    deadline = time.monotonic() + seconds
    # A timed-out receive cancels the application, so wait with receive_nothing and read only what has arrived.
    while time.monotonic() < deadline:
        if not await communicator.receive_nothing(timeout=0.05, interval=0.01):
            frames.append(await communicator.receive_json_from(timeout=1))
    return frames


async def test_accepted_entry_reaches_a_viewer_only_after_commit(
    published: Election, station: PollingStation, contest: Contest, official: User, new_key: Callable[[], str]
) -> None:
    communicator, hello = await viewer(published.slug)
    heard_before_commit: list[bool] = []

    def enter_and_listen_before_commit() -> None:
        with transaction.atomic():
            enter_sheet(station=station, contest=contest, actor=official, votes=[321, 123], key=new_key())
            heard_before_commit.append(not async_to_sync(communicator.receive_nothing)(timeout=0.5))

    await database_sync_to_async(enter_and_listen_before_commit)()
    assert heard_before_commit == [False]
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "update"
    assert frame["version"] > hello["version"]
    assert "321" in frame["parts"]["contest-mayor"]
    assert "contest-mayor" in frame["live"]
    await communicator.disconnect()


async def test_a_burst_of_commits_is_coalesced_into_at_most_two_broadcasts_ending_on_the_last_version(
    published: Election, settings
) -> None:
    settings.RESULTS_BROADCAST_INTERVAL = 0.25
    communicator, hello = await viewer(published.slug)

    def burst() -> float:
        started = time.monotonic()
        for _ in range(100):
            refresh_tallies(election_id=published.pk)
        return time.monotonic() - started

    took = await database_sync_to_async(burst)()
    frames = await collect(communicator, took + 1.0)
    versions = [f["version"] for f in frames]
    windows = 2 + int(took / 0.25)
    assert 1 <= len(frames) <= windows, (took, versions)
    # Each recount makes a version: the burst was recounted once per window, not once per commit.
    newest = await database_sync_to_async(current_version)(election_id=published.pk)
    assert newest - hello["version"] <= windows
    assert versions[-1] == newest
    assert versions == sorted(versions)
    await communicator.disconnect()


async def test_each_frame_names_the_previous_broadcast_so_a_viewer_that_missed_one_resyncs(
    published: Election, station: PollingStation, contest: Contest, official: User, new_key: Callable[[], str]
) -> None:
    steady, _hello = await viewer(published.slug)
    await database_sync_to_async(refresh_tallies)(election_id=published.pk)
    first = await steady.receive_json_from(timeout=5)

    # A second viewer drops off, misses an update, then comes back.
    late, late_hello = await viewer(published.slug)
    assert late_hello["version"] == first["version"]
    await late.disconnect()
    await database_sync_to_async(
        lambda: enter_sheet(station=station, contest=contest, actor=official, votes=[5, 6], key=new_key())
    )()
    missed = await steady.receive_json_from(timeout=5)
    assert missed["previous"] == first["version"]
    await database_sync_to_async(refresh_tallies)(election_id=published.pk)
    newest = await steady.receive_json_from(timeout=5)
    # Holding first["version"], the returning viewer sees previous > its version: it missed one and refetches.
    assert newest["previous"] == missed["version"] > first["version"]
    back, back_hello = await viewer(published.slug)
    assert back_hello["version"] == newest["version"]
    await back.disconnect()
    await steady.disconnect()


async def test_viewer_of_unpublished_results_is_turned_away(open_vote: Election) -> None:
    communicator = WebsocketCommunicator(application, f"/ws/results/{open_vote.slug}/", headers=ORIGIN)
    connected, code = await communicator.connect(timeout=5)
    assert not connected
    assert code == 4404


async def test_a_quiet_viewer_stays_connected_past_the_redis_read_timeout(published: Election) -> None:
    communicator, hello = await viewer(published.slug)
    await asyncio.sleep(6)  # redis-py 8 would time out an idle read after 5 s
    await database_sync_to_async(refresh_tallies)(election_id=published.pk)
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["version"] == hello["version"] + 1
    await communicator.disconnect()


async def test_a_viewer_that_stops_acknowledging_is_held_back_not_closed_and_the_others_keep_receiving(
    published: Election,
) -> None:
    from results.consumers import MAX_UNACKNOWLEDGED

    stalled, _ = await viewer(published.slug)
    keeping_up, _ = await viewer(published.slug)
    for _ in range(MAX_UNACKNOWLEDGED + 3):
        await database_sync_to_async(refresh_tallies)(election_id=published.pk)
        frame = await keeping_up.receive_json_from(timeout=5)
        await keeping_up.send_json_to({"ack": frame["version"]})
    newest = frame["version"]
    frames = [await stalled.receive_json_from(timeout=5) for _ in range(MAX_UNACKNOWLEDGED)]
    # Past its limit it is sent nothing more, and stays connected.
    assert await stalled.receive_nothing(timeout=0.3)
    await stalled.send_json_to({"ack": frames[-1]["version"]})
    caught_up = await stalled.receive_json_from(timeout=5)
    assert caught_up["full"] is True
    assert caught_up["version"] == newest
    # The viewer that kept up is still connected and gets the next update.
    await database_sync_to_async(refresh_tallies)(election_id=published.pk)
    assert (await keeping_up.receive_json_from(timeout=5))["type"] == "update"
    await keeping_up.disconnect()
    await stalled.disconnect()


async def test_a_large_message_from_a_viewer_closes_only_that_connection(published: Election) -> None:
    noisy, _ = await viewer(published.slug)
    quiet, _ = await viewer(published.slug)
    await noisy.send_to(text_data="x" * 10_000)
    assert await noisy.receive_output(timeout=5) == {"type": "websocket.close", "code": MESSAGE_TOO_BIG_CLOSE_CODE}
    await quiet.send_json_to({"ack": 0})  # an acknowledgement is all a viewer may send
    await database_sync_to_async(refresh_tallies)(election_id=published.pk)
    assert (await quiet.receive_json_from(timeout=5))["type"] == "update"
    await quiet.disconnect()


async def test_entries_in_one_window_are_recounted_together_and_the_last_broadcast_holds_them_all(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    settings,
) -> None:
    from io import StringIO

    from django.core.management import call_command

    # Wide enough that three quick entries fall in one window, even on a busy machine.
    settings.RESULTS_BROADCAST_INTERVAL = 2.0
    communicator, hello = await viewer(published.slug)

    def enter_three() -> None:
        for place, votes in ((station, [101, 0]), (other_station, [0, 202]), (south_station, [303, 0])):
            enter_sheet(station=place, contest=contest, actor=official, votes=votes, key=new_key())

    await database_sync_to_async(enter_three)()
    frames = await collect(communicator, 4.0)
    newest = await database_sync_to_async(current_version)(election_id=published.pk)
    # Fewer recounts than commits, and the last frame has all three entries.
    assert newest - hello["version"] < 3
    assert frames[-1]["version"] == newest
    mayor = frames[-1]["parts"]["contest-mayor"]
    assert "404" in mayor  # 101 + 303 for the first candidate
    assert "202" in mayor
    verified = StringIO()
    await database_sync_to_async(call_command)("verify_tallies", "--election", published.slug, stdout=verified)
    assert "equals a recount" in verified.getvalue()
    await communicator.disconnect()


async def test_a_frame_carries_only_the_changed_parts_in_the_viewers_language(
    published: Election, station: PollingStation, contest: Contest, official: User, new_key: Callable[[], str]
) -> None:
    english, _ = await viewer(published.slug)
    arabic = WebsocketCommunicator(application, f"/ws/results/{published.slug}/?lang=ar", headers=ORIGIN)
    assert (await arabic.connect(timeout=5))[0]
    await arabic.receive_json_from(timeout=5)
    await database_sync_to_async(refresh_tallies)(election_id=published.pk)
    first_en = await english.receive_json_from(timeout=5)
    first_ar = await arabic.receive_json_from(timeout=5)
    # Publishing already broadcast every part: a recount of unchanged data only changes the summary (its version).
    assert set(first_en["parts"]) == {"summary"}

    await database_sync_to_async(
        lambda: enter_sheet(station=station, contest=contest, actor=official, votes=[12, 34], key=new_key())
    )()
    second_en = await english.receive_json_from(timeout=5)
    second_ar = await arabic.receive_json_from(timeout=5)
    assert second_en["previous"] == first_en["version"]
    assert second_ar["previous"] == first_ar["version"]
    changed = set(second_en["parts"])
    assert "contest-mayor" in changed
    assert changed < set(second_en["live"])  # unchanged parts are not sent again
    assert "Votes" in second_en["parts"]["contest-mayor"]
    assert "Votes" not in second_ar["parts"]["contest-mayor"]
    assert "الأصوات" in second_ar["parts"]["contest-mayor"]
    await english.disconnect()
    await arabic.disconnect()
