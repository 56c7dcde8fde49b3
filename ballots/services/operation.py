"""The one way an entry is written. ``run_entry`` owns the steps every entry shares, in this order and in one
transaction: who acts, the station's lock, the entry window, the idempotency key, the audit events and the note that
tells the results side, after commit, that the election's results changed. An entry service passes only what is its
own: the rules of its entry, the rows it writes, the changes it audits and the answer it gives."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import models

from ballots.rules import require_entry_window, require_supervisor
from ballots.services.locking import lock_station
from elections.models import PollingStation
from trust.audit import record_audit_event
from trust.changes import note_results_changed
from trust.idempotency import Answer, Recorded, run_idempotently
from trust.roles import Actor, require_user
from votetracker import metrics

T = TypeVar("T")


@dataclass
class EntryOperation:
    """An entry under way: who makes it, the station as read under its lock, whether it is a correction after entry
    closed, and what every audit event of the entry carries (the client's key and address)."""

    user: User
    station: PollingStation
    after_close: bool
    idempotency_key: str
    client_address: str | None
    changed: bool = False

    def record_change(
        self,
        *,
        action: str,
        obj: models.Model,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        also_changed: Sequence[models.Model] = (),
        bulk_created: bool = False,
    ) -> None:
        """Audit one change of this entry, in its transaction; the results side hears of the entry once it commits.
        A change written in bulk names the other rows it changed and whether it inserted ``obj`` (see
        ``trust.audit.record_audit_event``)."""
        record_audit_event(
            also_changed=also_changed,
            bulk_created=bulk_created,
            action=action,
            obj=obj,
            actor=self.user,
            before=before,
            after=after,
            client_address=self.client_address,
            idempotency_key=self.idempotency_key,
            election_id=self.station.election_id,
        )
        metrics.count_entry_accepted(action)
        self.changed = True


def run_entry(
    *,
    operation: str,
    station: PollingStation | int,
    actor: Actor,
    idempotency_key: str,
    client_address: str | None,
    request: Mapping[str, Any],
    perform: Callable[[EntryOperation], Answer[T]],
    load: Callable[[dict[str, Any]], T],
    supervisors_only: bool = False,
) -> Recorded[T]:
    """Make one entry at ``station`` (an object or its id: it is read under the lock either way) exactly once.

    Refuses a signed-out or inactive ``actor``, then, under ``idempotency_key`` (a replay answers what the first call
    answered, a reused key with another ``request`` is refused): locks the station and checks ``actor`` works there
    (and supervises it when ``supervisors_only``), checks the election takes entries, and runs ``perform``, which
    validates, writes, audits through ``EntryOperation.record_change`` and returns its answer. ``load`` rebuilds the
    answer's object from its body for a replay. Audit events are appended when ``perform`` ends (see
    ``trust.idempotency.run_idempotently``) and the results side hears of a change once, after commit."""
    user = require_user(actor)

    def perform_under_lock() -> Answer[T]:
        locked = lock_station(station, user)
        if supervisors_only:
            require_supervisor(user, locked)
        entry = EntryOperation(
            user=user,
            station=locked,
            after_close=require_entry_window(user, locked),
            idempotency_key=idempotency_key,
            client_address=client_address,
        )
        answer = perform(entry)
        if entry.changed:
            note_results_changed(election_id=locked.election_id, election_slug=locked.election.slug)
        return answer

    return run_idempotently(
        key=idempotency_key,
        actor=user,
        operation=operation,
        fingerprint_payload=request,
        perform=perform_under_lock,
        load=load,
    )
