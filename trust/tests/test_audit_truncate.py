"""On PostgreSQL the audit log refuses TRUNCATE, except inside the flush that empties the whole database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from trust.audit import audit_log_emptiable, record_audit_event
from trust.models import AuditEvent

pytestmark = pytest.mark.postgres_only


def _truncate() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE ballots_auditevent")


def _append_one(official: User) -> None:
    with transaction.atomic():
        record_audit_event(action="test.touch", obj=Group.objects.get_or_create(name="Audited")[0], actor=official)
    # Inside the test's transaction the deferred foreign key checks of the insert are still pending, and PostgreSQL
    # refuses TRUNCATE and ALTER TABLE of a table with pending trigger events: run them now, as a commit would.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.mark.django_db
def test_database_refuses_truncate_of_the_audit_log(official: User) -> None:
    _append_one(official)
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        _truncate()
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_the_truncate_guard_is_lifted_only_inside_the_emptying_block(official: User) -> None:
    _append_one(official)
    with audit_log_emptiable():
        _truncate()
        assert not AuditEvent.objects.exists()
    _append_one(official)
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        _truncate()


# Serialized rollback: the flush takes the staff groups other tests rely on; they are restored afterwards.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_empties_the_audit_log_and_keeps_the_guard(official: User) -> None:
    _append_one(official)
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False, inhibit_post_migrate=True)
    assert not AuditEvent.objects.exists()
    _append_one(User.objects.create_user("after-flush"))
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        _truncate()
