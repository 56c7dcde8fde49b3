"""The audit log is append-only and hash-chained; tampering is refused or found."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from trust.audit import find_chain_breaks, record_audit_event
from trust.models import AuditEvent


@pytest.fixture
def subject(db: None) -> Group:
    """Something to audit: the audit log records changes to any model, of any app."""
    return Group.objects.create(name="Audited")


def _append(subject: Group, actor: User | None, n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            record_audit_event(action="test.touch", obj=subject, actor=actor, after={"i": i}, election_id=1)


@pytest.mark.django_db
def test_events_form_one_chain(subject: Group, official: User) -> None:
    _append(subject, official, 5)
    events = list(AuditEvent.objects.order_by("id"))
    assert events[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    assert find_chain_breaks() is None
    call_command("verify_audit")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_appending_outside_a_transaction_is_refused(subject: Group) -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_audit_event(action="test.touch", obj=subject, actor=None)


def _tamper(sql: str, params: list[str | int]) -> None:
    """Change the table as someone with direct database access would, around the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


@pytest.mark.django_db
def test_verify_audit_names_an_edited_event(subject: Group, official: User) -> None:
    _append(subject, official, 4)
    target = AuditEvent.objects.order_by("id")[2]
    _tamper("UPDATE ballots_auditevent SET after = %s WHERE id = %s", ['{"i": 99}', target.pk])
    with pytest.raises(CommandError, match=rf"#{target.pk} does not verify: its content does not match"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_audit_names_the_event_after_a_deleted_one(subject: Group, official: User) -> None:
    _append(subject, official, 4)
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    _tamper("DELETE FROM ballots_auditevent WHERE id = %s", [ids[1]])
    with pytest.raises(CommandError, match=rf"#{ids[2]} does not verify: its previous hash"):
        call_command("verify_audit")


@pytest.mark.postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["UPDATE ballots_auditevent SET action = 'x'", "DELETE FROM ballots_auditevent"])
def test_database_refuses_update_and_delete_of_audit_rows(subject: Group, official: User, statement: str) -> None:
    _append(subject, official, 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_keep_one_chain(subject: Group, official: User) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            _append(subject, official, 10)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert AuditEvent.objects.count() == 60
    assert find_chain_breaks() is None
