"""Every change of an election's status or results visibility. Each one is checked, locked and audited."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.audit import record_audit_event
from elections.models import Contest, Election
from votetracker.errors import NotAllowed, TransitionRefused

Actor = User | AnonymousUser | None

OFFICIALS_GROUP = "Officials"


def _require_official(actor: Actor) -> None:
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Only an official can change an election's status."))
    if actor.is_superuser:
        return
    if not actor.groups.filter(name=OFFICIALS_GROUP).exists():
        raise NotAllowed(_("Only an official can change an election's status."))


def _snapshot(election: Election) -> dict[str, str]:
    return {"status": election.status, "results_visibility": election.results_visibility}


def _locked(election: Election) -> Election:
    return Election.objects.select_for_update().get(pk=election.pk)


def _save_change(
    *, election: Election, before: dict[str, str], action: str, actor: Actor, client_address: str | None
) -> Election:
    election.status_changed_at = timezone.now()
    election.status_changed_by = actor if isinstance(actor, User) else None
    election.save(update_fields=["status", "results_visibility", "status_changed_at", "status_changed_by"])
    record_audit_event(
        action=action,
        obj=election,
        actor=actor,
        before=before,
        after=_snapshot(election),
        client_address=client_address,
        election_id=election.pk,
    )
    return election


def list_opening_problems(election: Election) -> list[str]:
    """What stops ``election`` from opening; empty when it may open."""
    problems: list[str] = []
    if not election.stations.exists():
        problems.append(_("it has no polling stations"))
    contests = list(Contest.objects.filter(election=election).annotate(candidate_count=Count("candidates")))
    if not contests:
        problems.append(_("it has no contests"))
    for contest in contests:
        if contest.candidate_count == 0:
            problems.append(_("contest “%(name)s” has no candidates") % {"name": contest.name})
        elif contest.district_id and not contest.district.stations.exists():  # type: ignore[union-attr]
            problems.append(_("contest “%(name)s” covers a district without polling stations") % {"name": contest.name})
    return problems


def open_election(*, election: Election, actor: Actor, client_address: str | None = None) -> Election:
    """Open a draft election for entry. Needs polling stations and contests that all have candidates."""
    _require_official(actor)
    with transaction.atomic():
        election = _locked(election)
        if election.status != Election.Status.DRAFT:
            raise TransitionRefused(
                _("%(name)s cannot be opened: it is %(status)s, and only a draft election can be opened.")
                % {"name": election.name, "status": election.get_status_display()}
            )
        problems = list_opening_problems(election)
        if problems:
            raise TransitionRefused(
                _("%(name)s cannot be opened: %(problems)s.")
                % {"name": election.name, "problems": "; ".join(problems)},
                details={"problems": problems},
            )
        before = _snapshot(election)
        election.status = Election.Status.OPEN
        return _save_change(
            election=election, before=before, action="election.open", actor=actor, client_address=client_address
        )


def close_election(*, election: Election, actor: Actor, client_address: str | None = None) -> Election:
    """Stop accepting entries. From here on only an audited correction changes a result."""
    _require_official(actor)
    with transaction.atomic():
        election = _locked(election)
        if election.status != Election.Status.OPEN:
            raise TransitionRefused(
                _("%(name)s cannot be closed: it is %(status)s, and only an open election can be closed.")
                % {"name": election.name, "status": election.get_status_display()}
            )
        before = _snapshot(election)
        election.status = Election.Status.CLOSED
        return _save_change(
            election=election, before=before, action="election.close", actor=actor, client_address=client_address
        )


def publish_results(*, election: Election, actor: Actor, client_address: str | None = None) -> Election:
    """Show the results to the public as provisional. Allowed while entry is open or after it closed."""
    _require_official(actor)
    with transaction.atomic():
        election = _locked(election)
        if election.status not in {Election.Status.OPEN, Election.Status.CLOSED}:
            raise TransitionRefused(
                _("Results of %(name)s cannot be published: it is %(status)s.")
                % {"name": election.name, "status": election.get_status_display()}
            )
        if election.results_visibility != Election.Visibility.HIDDEN:
            raise TransitionRefused(
                _("Results of %(name)s are already public (%(visibility)s).")
                % {"name": election.name, "visibility": election.get_results_visibility_display()}
            )
        before = _snapshot(election)
        election.results_visibility = Election.Visibility.PROVISIONAL
        return _save_change(
            election=election, before=before, action="election.publish", actor=actor, client_address=client_address
        )


def certify_election(*, election: Election, actor: Actor, client_address: str | None = None) -> Election:
    """Certify a closed election: its results become official, and nothing about it changes again."""
    _require_official(actor)
    with transaction.atomic():
        election = _locked(election)
        if election.status != Election.Status.CLOSED:
            raise TransitionRefused(
                _("%(name)s cannot be certified: it is %(status)s, and only a closed election can be certified.")
                % {"name": election.name, "status": election.get_status_display()}
            )
        before = _snapshot(election)
        election.status = Election.Status.CERTIFIED
        election.results_visibility = Election.Visibility.OFFICIAL
        return _save_change(
            election=election, before=before, action="election.certify", actor=actor, client_address=client_address
        )
