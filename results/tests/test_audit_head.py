"""Every public snapshot carries the audit log's head of its count: the API's JSON and each live frame. The head is
read with the recount, so an audit event alone (a login, a token issued) makes no new version."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from elections.models import Contest, Election, PollingStation
from results.services import AUDIT_HEAD_KEY, current_version, read_audit_head
from results.tests.support import close_sync_thread_connections, enter_sheet, viewer  # noqa: F401 - autouse
from trust.audit import record_audit_event
from trust.checkpoints import read_chain_head
from trust.models import AuditEvent

BASE = "/api/v1/results/elections"


def _head_now() -> dict[str, object]:
    head = read_chain_head()
    return {"event_id": head.event_id, "hash": head.hash, "count": head.count}


@pytest.mark.django_db
def test_an_audit_event_alone_makes_no_new_version_and_the_next_count_publishes_it(
    published: Election,
    station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
    client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    first = client.get(f"{BASE}/{published.slug}")
    assert first.json()["audit_head"] == _head_now()
    version = current_version(election_id=published.pk)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        record_audit_event(action="test.unrelated", obj=Group.objects.create(name="Other"), actor=official)
    again = client.get(f"{BASE}/{published.slug}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert current_version(election_id=published.pk) == version

    with django_capture_on_commit_callbacks(execute=True):
        enter_sheet(station=station, contest=contest, actor=official, votes=[3, 4], key=new_key())
    counted = client.get(f"{BASE}/{published.slug}").json()
    assert counted["version"] > version
    assert counted["audit_head"] == _head_now()
    assert counted["audit_head"]["count"] == AuditEvent.objects.count()
    assert counted["audit_head"]["count"] > first.json()["audit_head"]["count"] + 1


@pytest.mark.django_db
def test_a_head_counted_on_from_the_last_one_equals_a_full_count_whatever_the_cache_holds(
    published: Election, official: User
) -> None:
    assert read_audit_head() == _head_now()
    with transaction.atomic():
        record_audit_event(action="test.unrelated", obj=Group.objects.create(name="Other"), actor=official)
    assert read_audit_head() == _head_now()
    cache.set(AUDIT_HEAD_KEY, (read_chain_head().event_id, "0" * 64, 1))  # a head this log never held
    assert read_audit_head() == _head_now()
    cache.delete(AUDIT_HEAD_KEY)
    assert read_audit_head() == _head_now()


@pytest.mark.django_db
def test_verify_tallies_still_finds_the_served_snapshot_equal_to_a_recount(published: Election, client: Client) -> None:
    assert "audit_head" in client.get(f"{BASE}/{published.slug}").json()
    out = StringIO()
    call_command("verify_tallies", "--election", published.slug, stdout=out)
    assert "equals a recount" in out.getvalue()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_each_live_frame_carries_the_audit_head_of_its_snapshot(
    published: Election, station: PollingStation, contest: Contest, official: User, new_key: Callable[[], str]
) -> None:
    communicator, _hello = await viewer(published.slug)
    await database_sync_to_async(enter_sheet)(
        station=station, contest=contest, actor=official, votes=[5, 6], key=new_key()
    )
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "update"
    assert frame["audit_head"] == await database_sync_to_async(_head_now)()
    await communicator.disconnect()
