"""Signed checkpoints catch what the hash chain alone cannot: a log rewritten, cut short or restored from an older
copy, each consistent with itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from trust.audit import compute_event_hash, record_audit_event
from trust.models import AuditEvent
from trust.tests.test_audit import _tamper


@pytest.fixture
def subject(db: None) -> Group:
    return Group.objects.create(name="Audited")


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "checkpoint.key", tmp_path / "checkpoint.pub"
    call_command("audit_keygen", private_key=private, public_key=public, verbosity=0)
    return private, public


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.jsonl"


def _append(subject: Group, actor: User, n: int, label: str = "i") -> None:
    for i in range(n):
        with transaction.atomic():
            record_audit_event(action="test.touch", obj=subject, actor=actor, after={label: i}, election_id=1)


def _sign(keys: tuple[Path, Path], checkpoints: Path) -> None:
    call_command("audit_checkpoint", key=keys[0], out=checkpoints, stdout=_Sink())


def _verify(keys: tuple[Path, Path], checkpoints: Path) -> str:
    out = _Sink()
    call_command("verify_audit", checkpoints=checkpoints, public_key=keys[1], stdout=out)
    return out.text


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def _rewrite_from(event: AuditEvent, *, after: dict[str, int]) -> None:
    """Edit ``event`` and recompute every hash after it with the application's own function, as an attacker with
    the database and the source code would."""
    prev_hash = event.prev_hash
    for later in AuditEvent.objects.filter(id__gte=event.pk).order_by("id"):
        if later.pk == event.pk:
            later.after = after
        later.prev_hash = prev_hash
        later.hash = compute_event_hash(later)
        _tamper(
            "UPDATE ballots_auditevent SET after = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [json.dumps(later.after), later.prev_hash, later.hash, later.pk],
        )
        prev_hash = later.hash


def _restore_sequence_to(last_id: int) -> None:
    """Put the id sequence back where an older dump had it, so new events reuse the ids of the lost ones."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('ballots_auditevent', 'id'), %s)", [last_id])
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = 'ballots_auditevent'", [last_id])


@pytest.mark.django_db
def test_untouched_log_verifies_with_and_without_checkpoints(
    subject: Group, official: User, keys: tuple[Path, Path], checkpoints: Path
) -> None:
    _append(subject, official, 3)
    _sign(keys, checkpoints)
    _append(subject, official, 2)
    _sign(keys, checkpoints)
    _append(subject, official, 1)
    last = AuditEvent.objects.order_by("id").values_list("id", flat=True)
    call_command("verify_audit", stdout=_Sink())
    assert _verify(keys, checkpoints).endswith(
        f"6 event(s), chain intact. 2 checkpoint(s) hold; the latest covers event #{list(last)[-2]}, "
        "1 event(s) after it are not yet covered by a checkpoint.\n"
    )


@pytest.mark.django_db
def test_edit_with_every_later_hash_recomputed_is_caught_by_a_checkpoint(
    subject: Group, official: User, keys: tuple[Path, Path], checkpoints: Path
) -> None:
    _append(subject, official, 5)
    _sign(keys, checkpoints)
    events = list(AuditEvent.objects.order_by("id"))
    _rewrite_from(events[1], after={"i": 99})
    call_command("verify_audit", stdout=_Sink())  # the chain alone is consistent again
    with pytest.raises(CommandError, match=rf"line 1 fails: .*event #{events[-1].pk} no longer has the signed hash"):
        _verify(keys, checkpoints)


@pytest.mark.django_db
def test_deleting_the_last_events_is_caught_by_a_checkpoint(
    subject: Group, official: User, keys: tuple[Path, Path], checkpoints: Path
) -> None:
    _append(subject, official, 5)
    _sign(keys, checkpoints)
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    _tamper("DELETE FROM ballots_auditevent WHERE id >= %s", [ids[3]])
    call_command("verify_audit", stdout=_Sink())
    with pytest.raises(CommandError, match=rf"line 1 fails: .*event #{ids[4]} is no longer in the log"):
        _verify(keys, checkpoints)


@pytest.mark.django_db
def test_restoring_an_older_copy_is_caught_by_the_checkpoint_taken_after_it(
    subject: Group, official: User, keys: tuple[Path, Path], checkpoints: Path
) -> None:
    _append(subject, official, 3)
    _sign(keys, checkpoints)
    _append(subject, official, 2)
    _sign(keys, checkpoints)
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    # The older dump: its rows and its id sequence; then the application writes on.
    _tamper("DELETE FROM ballots_auditevent WHERE id > %s", [ids[2]])
    _restore_sequence_to(ids[2])
    _append(subject, official, 2, label="after-restore")
    assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == ids
    call_command("verify_audit", stdout=_Sink())

    with pytest.raises(CommandError) as caught:
        _verify(keys, checkpoints)
    assert f"line 2 fails: the checkpoint of event #{ids[4]}" in str(caught.value)
    assert "no longer has the signed hash" in str(caught.value)
    assert "line 1" not in str(caught.value)
    # Nor will the operator's next checkpoint vouch for the restored log.
    with pytest.raises(CommandError, match=r"Not signed: .* line 2 does not hold"):
        _sign(keys, checkpoints)


@pytest.mark.django_db
def test_an_altered_checkpoint_is_refused(
    subject: Group, official: User, keys: tuple[Path, Path], checkpoints: Path
) -> None:
    _append(subject, official, 3)
    _sign(keys, checkpoints)
    fields = json.loads(checkpoints.read_text())
    fields["count"] = 2
    checkpoints.write_text(json.dumps(fields) + "\n")
    with pytest.raises(CommandError, match=r"line 1 fails: its signature does not verify .* forged or altered"):
        _verify(keys, checkpoints)


@pytest.mark.django_db
def test_a_checkpoint_signed_with_another_key_is_refused(
    subject: Group, official: User, keys: tuple[Path, Path], checkpoints: Path, tmp_path: Path
) -> None:
    _append(subject, official, 3)
    other_private, _other_public = tmp_path / "other.key", tmp_path / "other.pub"
    call_command("audit_keygen", private_key=other_private, public_key=_other_public, verbosity=0)
    _sign((other_private, _other_public), checkpoints)
    with pytest.raises(CommandError, match=r"line 1 fails: it names key [0-9a-f]{16}, not the given public key"):
        _verify(keys, checkpoints)


@pytest.mark.django_db
def test_a_broken_chain_is_not_signed(
    subject: Group, official: User, keys: tuple[Path, Path], checkpoints: Path
) -> None:
    _append(subject, official, 3)
    target = AuditEvent.objects.order_by("id")[1]
    _tamper("UPDATE ballots_auditevent SET after = %s WHERE id = %s", ['{"i": 99}', target.pk])
    with pytest.raises(CommandError, match=rf"Not signed: audit event #{target.pk} does not verify"):
        _sign(keys, checkpoints)
    assert not checkpoints.exists()


def test_keygen_never_overwrites_a_key(keys: tuple[Path, Path]) -> None:
    before = keys[0].read_bytes()
    with pytest.raises(CommandError, match="exists already"):
        call_command("audit_keygen", private_key=keys[0], public_key=keys[1].with_suffix(".new"))
    assert keys[0].read_bytes() == before
    assert keys[0].stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_an_empty_checkpoint_file_verifies_nothing(keys: tuple[Path, Path], checkpoints: Path) -> None:
    checkpoints.write_text("\n")
    with pytest.raises(CommandError, match="holds no checkpoint"):
        _verify(keys, checkpoints)
