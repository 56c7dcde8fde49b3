"""Roles: who is an official, a supervisor or a clerk, by the staff group they belong to.

What a supervisor or clerk may work on (their districts and stations) is a question about elections, answered by
``elections.selectors``; this module answers only who someone is.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _

from trust.errors import NotAllowed

OFFICIALS_GROUP = "Officials"
SUPERVISORS_GROUP = "Supervisors"
CLERKS_GROUP = "Clerks"

Actor = User | AnonymousUser | None


def is_official(user: User | AnonymousUser) -> bool:
    """Whether ``user`` is an official. Kept on the user object, as Django keeps permissions: one request asks this
    several times (may enter, may correct), and its user object lives only as long as the request."""
    if not user.is_authenticated:
        return False
    cached: bool | None = getattr(user, "_votetracker_is_official", None)
    if cached is None:
        cached = user.is_superuser or user.groups.filter(name=OFFICIALS_GROUP).exists()
        user._votetracker_is_official = cached  # type: ignore[attr-defined]
    return cached


def require_user(actor: Actor) -> User:
    """The signed-in, active user behind ``actor``; refuses anyone else."""
    if actor is None or not actor.is_authenticated or not isinstance(actor, User) or not actor.is_active:
        raise NotAllowed(_("Sign in to enter results."), code="not_authenticated")
    return actor


def require_official(actor: Actor, *, message: str | None = None) -> User:
    """The acting official; refuses anyone who is not one."""
    if actor is None or not isinstance(actor, User) or not actor.is_active or not is_official(actor):
        raise NotAllowed(message or _("Only an official can do this."))
    return actor
