"""Every change of an election's status or results visibility. Each one is checked, locked and audited."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.models import Contest, Election
from elections.selectors import list_contest_station_ids
from trust.audit import record_audit_event
from trust.changes import note_results_changed
from trust.errors import TransitionRefused
from trust.roles import Actor, require_official


def _snapshot(election: Election) -> dict[str, str]:
    return {"status": election.status, "results_visibility": election.results_visibility}


def _locked(election: Election) -> Election:
    return Election.objects.select_for_update().get(pk=election.pk)


def _change_status(
    *,
    election: Election,
    actor: Actor,
    client_address: str | None,
    action: str,
    check: Callable[[Election], None],
    apply: Callable[[Election], None],
) -> Election:
    """Lock the election, ``check`` that the change is allowed, ``apply`` it, and record who made it."""
    official = require_official(actor, message=_("Only an official can change an election's status."))
    with transaction.atomic():
        election = _locked(election)
        check(election)
        before = _snapshot(election)
        apply(election)
        election.status_changed_at = timezone.now()
        election.status_changed_by = official
        election.save(update_fields=["status", "results_visibility", "status_changed_at", "status_changed_by"])
        record_audit_event(
            action=action,
            obj=election,
            actor=official,
            before=before,
            after=_snapshot(election),
            client_address=client_address,
            election_id=election.pk,
        )
        note_results_changed(election_id=election.pk, election_slug=election.slug)
    return election


def _require_status(election: Election, allowed: set[str], message: str) -> None:
    if election.status not in allowed:
        raise TransitionRefused(message % {"name": election.name, "status": election.get_status_display()})


def list_opening_problems(election: Election) -> list[str]:
    """What stops ``election`` from opening; empty when it may open."""
    problems: list[str] = []
    if not election.stations.exists():
        problems.append(_("it has no polling stations"))
    contests = list(Contest.objects.filter(election=election).annotate(candidate_count=Count("candidates")))
    if not contests:
        problems.append(_("it has no contests"))
    # The same station sets that entry and the tallies use: a district's nested stations count as its own.
    stations_of = list_contest_station_ids(election_id=election.pk)
    for contest in contests:
        if contest.candidate_count == 0:
            problems.append(_("contest “%(name)s” has no candidates") % {"name": contest.name})
        elif contest.is_measure and contest.candidate_count < 2:
            problems.append(_("ballot measure “%(name)s” needs at least two choices") % {"name": contest.name})
        elif not stations_of.get(contest.pk):
            problems.append(_("contest “%(name)s” is not voted on at any polling station") % {"name": contest.name})
    return problems


def check_opening(election: Election) -> None:
    """Refuse, naming why, to open ``election`` now: the rule ``open_election`` applies under its lock, and the admin
    before it asks for confirmation."""
    _require_status(
        election,
        {Election.Status.DRAFT},
        _("%(name)s cannot be opened: it is %(status)s, and only a draft election can be opened."),
    )
    if problems := list_opening_problems(election):
        raise TransitionRefused(
            _("%(name)s cannot be opened: %(problems)s.") % {"name": election.name, "problems": "; ".join(problems)},
            details={"problems": problems},
        )


def check_closing(election: Election) -> None:
    """Refuse, naming why, to close ``election`` now (the rule of ``close_election``)."""
    _require_status(
        election,
        {Election.Status.OPEN},
        _("%(name)s cannot be closed: it is %(status)s, and only an open election can be closed."),
    )


def check_publishing(election: Election) -> None:
    """Refuse, naming why, to publish the results of ``election`` now (the rule of ``publish_results``)."""
    _require_status(
        election,
        {Election.Status.OPEN, Election.Status.CLOSED},
        _("Results of %(name)s cannot be published: it is %(status)s."),
    )
    if election.results_visibility != Election.Visibility.HIDDEN:
        raise TransitionRefused(
            _("Results of %(name)s are already public (%(visibility)s).")
            % {"name": election.name, "visibility": election.get_results_visibility_display()}
        )


def check_certifying(election: Election) -> None:
    """Refuse, naming why, to certify ``election`` now (the rule of ``certify_election``)."""
    _require_status(
        election,
        {Election.Status.CLOSED},
        _("%(name)s cannot be certified: it is %(status)s, and only a closed election can be certified."),
    )


def open_election(*, election: Election, actor: Actor, client_address: str | None = None) -> Election:
    """Open a draft election for entry. Needs polling stations and contests that all have candidates."""

    def apply(election: Election) -> None:
        election.status = Election.Status.OPEN

    return _change_status(
        election=election,
        actor=actor,
        client_address=client_address,
        action="election.open",
        check=check_opening,
        apply=apply,
    )


def close_election(*, election: Election, actor: Actor, client_address: str | None = None) -> Election:
    """Stop accepting entries. From here on only an audited correction changes a result."""

    def apply(election: Election) -> None:
        election.status = Election.Status.CLOSED

    return _change_status(
        election=election,
        actor=actor,
        client_address=client_address,
        action="election.close",
        check=check_closing,
        apply=apply,
    )


def publish_results(*, election: Election, actor: Actor, client_address: str | None = None) -> Election:
    """Show the results to the public as provisional. Allowed while entry is open or after it closed."""

    def apply(election: Election) -> None:
        election.results_visibility = Election.Visibility.PROVISIONAL

    return _change_status(
        election=election,
        actor=actor,
        client_address=client_address,
        action="election.publish",
        check=check_publishing,
        apply=apply,
    )


def certify_election(*, election: Election, actor: Actor, client_address: str | None = None) -> Election:
    """Certify a closed election: its results become official, and nothing about it changes again."""

    def apply(election: Election) -> None:
        election.status = Election.Status.CERTIFIED
        election.results_visibility = Election.Visibility.OFFICIAL

    return _change_status(
        election=election,
        actor=actor,
        client_address=client_address,
        action="election.certify",
        check=check_certifying,
        apply=apply,
    )
