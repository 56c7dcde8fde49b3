"""The head published with each snapshot is counted on from the last one published, and equals a full count of the
log whatever that earlier head was: one the log still holds, one it never held, or one past its end."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction

from trust.audit import GENESIS_HASH, record_audit_event
from trust.checkpoints import ChainHead, advance_chain_head, read_chain_head

pytestmark = pytest.mark.django_db


def _append(subject: Group, actor: User, n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            record_audit_event(action="test.touch", obj=subject, actor=actor, after={"i": i})


def test_a_head_counted_on_from_an_earlier_one_equals_a_full_count(official: User) -> None:
    subject = Group.objects.create(name="Audited")
    assert advance_chain_head(since=None) == ChainHead(event_id=0, hash=GENESIS_HASH, count=0)
    _append(subject, official, 3)
    earlier = advance_chain_head(since=ChainHead(event_id=0, hash=GENESIS_HASH, count=0))
    assert earlier == read_chain_head()
    _append(subject, official, 4)
    later = advance_chain_head(since=earlier)
    assert later == read_chain_head()
    assert later.count == earlier.count + 4
    assert advance_chain_head(since=later) == later


@pytest.mark.parametrize(
    "forged",
    [
        lambda head: ChainHead(event_id=head.event_id - 2, hash="f" * 64, count=1),  # never held by this log
        lambda head: ChainHead(event_id=head.event_id + 50, hash="f" * 64, count=99),  # past its end (a restore)
        lambda head: ChainHead(event_id=head.event_id, hash="f" * 64, count=99),  # its last id, another hash
    ],
)
def test_an_earlier_head_the_log_does_not_hold_is_ignored(official: User, forged) -> None:
    _append(Group.objects.create(name="Audited"), official, 5)
    head = read_chain_head()
    assert advance_chain_head(since=forged(head)) == head
