"""Rules every entry shares: who may act on a station, when an election takes entries, and telling results."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.utils.translation import gettext as _

from ballots.audit import record_audit_event
from elections.models import Contest, Election, PollingStation, SupervisorAssignment
from elections.selectors import is_official, list_district_ids_under, list_stations_for_user
from votetracker import metrics
from votetracker.errors import EntryRejected, NotAllowed

Actor = User | AnonymousUser | None


def notify_results_changed(election_id: int) -> None:
    """Tell the results side that ``election_id`` changed; runs after commit, so a rolled-back write says nothing."""
    from results.services import refresh_tallies  # imported here: the results app builds on this one

    refresh_tallies(election_id=election_id)


def require_user(actor: Actor) -> User:
    if actor is None or not actor.is_authenticated or not isinstance(actor, User) or not actor.is_active:
        raise NotAllowed(_("Sign in to enter results."), code="not_authenticated")
    return actor


def lock_station(station: PollingStation, actor: Actor) -> tuple[User, PollingStation]:
    """Check ``actor`` may work on ``station`` and lock it, so entries for one station are made one at a time."""
    user = require_user(actor)
    if not is_official(user) and not list_stations_for_user(user).filter(pk=station.pk).exists():
        raise NotAllowed(
            _("You are not assigned to polling station %(code)s.") % {"code": station.code},
            details={"field": "station"},
        )
    _share_election(station.election_id)
    # Only the station's own row: a plain FOR UPDATE over the join would lock the election row too and so make every
    # entry of the election wait for every other. NO KEY: rows that merely reference the station are not held up.
    locked = (
        PollingStation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("election", "district")
        .get(pk=station.pk)
    )
    return user, locked


def _share_election(election_id: int) -> None:
    """Hold the election row in share mode until commit, before its status is read: entries run side by side, and
    a status change (which locks the row for update) waits for them, so no entry commits after its election closed.
    SQLite needs nothing: its writers already run one at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM elections_election WHERE id = %s FOR SHARE", [election_id])


def supervises(user: User, station: PollingStation) -> bool:
    """Whether ``user`` is an official or supervises the district (or a parent district) of ``station``."""
    if is_official(user):
        return True
    supervised = set(SupervisorAssignment.objects.filter(user=user).values_list("district_id", flat=True))
    return bool(supervised) and station.district_id in list_district_ids_under(supervised)


def require_supervisor(user: User, station: PollingStation) -> None:
    if not supervises(user, station):
        raise NotAllowed(
            _("Only a supervisor of this district or an official can do this."), code="supervisor_required"
        )


def require_entry_window(user: User, station: PollingStation) -> bool:
    """Refuse unless the election takes entries; return True when this is a correction after closing."""
    election = station.election
    if election.status == Election.Status.OPEN:
        return False
    if election.status == Election.Status.CLOSED and supervises(user, station):
        return True
    raise EntryRejected(
        _("%(name)s does not accept entries: it is %(status)s.")
        % {"name": election.name, "status": election.get_status_display()},
        code="election_not_open",
        details={"field": "election"},
    )


def require_contest_at_station(contest: Contest, station: PollingStation) -> None:
    """The contest must belong to the station's election and cover the station's district."""
    covers = contest.election_id == station.election_id and (
        contest.district_id is None or station.district_id in list_district_ids_under({contest.district_id})
    )
    if not covers:
        raise EntryRejected(
            _("Contest “%(contest)s” is not voted on at polling station %(code)s.")
            % {"contest": contest.name, "code": station.code},
            code="contest_not_at_station",
            details={"field": "contest"},
        )


def counts_by(election: Election, *, ballots: bool) -> bool:
    """Whether ``election`` counts ballot by ballot (``ballots``) or, otherwise, with tally sheets."""
    return election.counting_method in {
        Election.CountingMethod.BOTH,
        Election.CountingMethod.BALLOTS if ballots else Election.CountingMethod.TALLY_SHEETS,
    }


def is_sheet_correction(*, election: Election, has_current_sheet: bool) -> bool:
    """A sheet entered where one already counts, or after entry closed, is a correction: it needs a reason."""
    return has_current_sheet or election.status != Election.Status.OPEN


def require_counting_method(station: PollingStation, *, ballots: bool) -> None:
    if not counts_by(station.election, ballots=ballots):
        message = (
            _("This election does not count ballot by ballot.")
            if ballots
            else _("This election does not use tally sheets.")
        )
        raise EntryRejected(message, code="counting_method", details={"field": "counting_method"})


def clean_text(text: str, *, field: str = "reason") -> str:
    """Typed text, trimmed. PostgreSQL cannot store the NUL character, so it is refused here, naming the field."""
    if "\x00" in text:
        raise EntryRejected(
            _("This text contains a control character (NUL); remove it."),
            code="text_invalid",
            details={"field": field},
        )
    return text.strip()


def require_reason(reason: str) -> str:
    reason = clean_text(reason)
    if not reason:
        raise EntryRejected(_("Give a reason."), code="reason_required", details={"field": "reason"})
    return reason


def record_change(
    *,
    action: str,
    obj: Any,
    user: User,
    station: PollingStation,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    client_address: str | None,
    idempotency_key: str,
) -> None:
    """Audit the change in this transaction and, once it commits, tell the results side."""
    record_audit_event(
        action=action,
        obj=obj,
        actor=user,
        before=before,
        after=after,
        client_address=client_address,
        idempotency_key=idempotency_key,
        election_id=station.election_id,
    )
    from results.services import note_change

    note_change(slug=station.election.slug)
    election_id = station.election_id
    transaction.on_commit(lambda: notify_results_changed(election_id))
    metrics.count_entry_accepted(action)
