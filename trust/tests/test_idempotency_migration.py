"""Moving from a stored HTTP status to ``created`` keeps what every stored answer means, both ways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("trust", "0001_initial")]
AFTER = [("trust", "0002_idempotency_record_created")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.fixture
def at_initial(transactional_db: None) -> Iterator[User]:
    """A user, with the idempotency records' table as it was before ``created``; the latest state again afterwards."""
    user = User.objects.create_user("keeper")
    _migrate(BEFORE)
    yield user
    _migrate(AFTER)


# Serialized rollback: the flush after a transactional test would take the staff groups other tests rely on.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_stored_statuses_become_created_and_back(at_initial: User) -> None:
    old_state = MigrationExecutor(connection).loader.project_state(BEFORE[0]).apps
    old_record = old_state.get_model("trust", "IdempotencyRecord")
    for key, status in [("first-0201", 201), ("first-0200", 200), ("first-0000", 0)]:
        old_record.objects.create(
            actor_id=at_initial.pk,
            key=key,
            operation="test.write",
            fingerprint="f" * 64,
            response_status=status,
            response_body={"key": key},
            created_at=timezone.now(),
        )

    new_record = _migrate(AFTER).loader.project_state(AFTER[0]).apps.get_model("trust", "IdempotencyRecord")
    assert dict(new_record.objects.values_list("key", "created")) == {
        "first-0201": True,
        "first-0200": False,
        "first-0000": None,
    }
    assert dict(new_record.objects.values_list("key", "response_body")) == {
        key: {"key": key} for key in ("first-0201", "first-0200", "first-0000")
    }

    _migrate(BEFORE)
    assert dict(old_record.objects.values_list("key", "response_status")) == {
        "first-0201": 201,
        "first-0200": 200,
        "first-0000": 0,
    }
