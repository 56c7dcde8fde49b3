"""Every write of a staff account and of its assignments: the account's fields, its password, its groups and
permissions, and which stations a clerk and which districts a supervisor work on.

Only a superuser changes a superuser's account or password, grants superuser status or individual permissions:
an official who could would take over the site.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from elections.models import ClerkAssignment, District, PollingStation, SupervisorAssignment
from elections.services.audited_writes import (
    ConfigurationActor,
    ConfigurationRefused,
    Kind,
    acting_official,
    change_object,
    create_object,
    delete_object,
    has_full_powers,
)
from trust.audit import record_audit_event


def _refuse_superuser_account(actor: ConfigurationActor, account: User) -> None:
    if account.is_superuser and not has_full_powers(actor):
        raise ConfigurationRefused(_("Only a superuser can change the account of a superuser."), code="superuser_only")


def _check_account(actor: ConfigurationActor, stored: User | None, new: User | None) -> None:
    if stored is not None:
        _refuse_superuser_account(actor, stored)
    if new is not None and new.is_superuser and not has_full_powers(actor):
        raise ConfigurationRefused(_("Only a superuser can grant superuser status."), code="superuser_only")


def _election_of_station(station_id: int | None) -> int | None:
    if station_id is None:
        return None
    return PollingStation.objects.filter(pk=station_id).values_list("election_id", flat=True).first()


def _election_of_district(district_id: int | None) -> int | None:
    if district_id is None:
        return None
    return District.objects.filter(pk=district_id).values_list("election_id", flat=True).first()


ACCOUNT = Kind[User](
    label="user",
    # Never the password: its hash is a secret too. The sign-in dates are facts about the account, not settings.
    fields=("username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser"),
    election_id_of=lambda user: None,
    check=_check_account,
)
CLERK_ASSIGNMENT = Kind[ClerkAssignment](
    label="clerkassignment",
    fields=("user", "station"),
    election_id_of=lambda assignment: _election_of_station(assignment.station_id),
)
SUPERVISOR_ASSIGNMENT = Kind[SupervisorAssignment](
    label="supervisorassignment",
    fields=("user", "district"),
    election_id_of=lambda assignment: _election_of_district(assignment.district_id),
)


def create_staff_user(*, user: User, actor: ConfigurationActor, client_address: str | None = None) -> User:
    """Add the account ``user`` (unsaved, its password already set or made unusable)."""
    return create_object(user, kind=ACCOUNT, actor=actor, client_address=client_address)


def change_staff_user(*, user: User, actor: ConfigurationActor, client_address: str | None = None) -> User:
    """Store ``user``'s edited account fields (the password changes only through ``set_staff_password``)."""
    return change_object(user, kind=ACCOUNT, actor=actor, client_address=client_address)


def delete_staff_user(*, user: User, actor: ConfigurationActor, client_address: str | None = None) -> None:
    """Delete ``user`` and its assignments (refused while the audit log names the account: deactivate it then)."""
    delete_object(user, kind=ACCOUNT, actor=actor, client_address=client_address)


def _locked_account(actor: ConfigurationActor, user: User) -> User:
    account = User.objects.select_for_update().filter(pk=user.pk).first()
    if account is None:
        raise ConfigurationRefused(_("This account does not exist (any more)."), code="not_found")
    _refuse_superuser_account(actor, account)
    return account


def set_staff_password(
    *, user: User, password: str | None, actor: ConfigurationActor, client_address: str | None = None
) -> User:
    """Give ``user`` a new ``password`` (checked by the password validators), or, with None, turn password sign-in
    off. The audit event says only whether the account has a usable password, never anything of the secret."""
    official = acting_official(actor)
    with transaction.atomic():
        account = _locked_account(actor, user)
        before = {"usable_password": account.has_usable_password()}
        if password is None:
            account.set_unusable_password()
        else:
            try:
                validate_password(password, account)
            except ValidationError as error:
                raise ConfigurationRefused(
                    " ".join(error.messages), code="invalid", details={"fields": {"password": error.messages}}
                ) from None
            account.set_password(password)
        account.save(update_fields=["password"])
        record_audit_event(
            action="user.password",
            obj=account,
            actor=official,
            before=before,
            after={"usable_password": account.has_usable_password()},
            client_address=client_address,
        )
    return account


def _change_groups(
    *, user: User, group: Group, adding: bool, actor: ConfigurationActor, client_address: str | None
) -> None:
    official = acting_official(actor)
    with transaction.atomic():
        account = _locked_account(actor, user)
        before = sorted(account.groups.values_list("name", flat=True))
        if (group.name in before) == adding:
            return
        if adding:
            account.groups.add(group)
        else:
            account.groups.remove(group)
        record_audit_event(
            action="user.group_add" if adding else "user.group_remove",
            obj=account,
            actor=official,
            before={"groups": before},
            after={"groups": sorted(account.groups.values_list("name", flat=True))},
            client_address=client_address,
        )


def add_user_to_group(
    *, user: User, group: Group, actor: ConfigurationActor, client_address: str | None = None
) -> None:
    """Give ``user`` the role of ``group`` (Officials, Supervisors or Clerks); nothing happens if it has it."""
    _change_groups(user=user, group=group, adding=True, actor=actor, client_address=client_address)


def remove_user_from_group(
    *, user: User, group: Group, actor: ConfigurationActor, client_address: str | None = None
) -> None:
    """Take the role of ``group`` from ``user``; nothing happens if it does not have it."""
    _change_groups(user=user, group=group, adding=False, actor=actor, client_address=client_address)


def set_user_permissions(
    *, user: User, permissions: Iterable[Permission], actor: ConfigurationActor, client_address: str | None = None
) -> None:
    """Give ``user`` exactly these individual ``permissions``. Only a superuser may."""
    official = acting_official(actor)
    if not has_full_powers(actor):
        raise ConfigurationRefused(_("Only a superuser can grant individual permissions."), code="superuser_only")
    wanted = list(permissions)
    with transaction.atomic():
        account = _locked_account(actor, user)

        def codes() -> list[str]:
            rows = account.user_permissions.values_list("content_type__app_label", "codename")
            return sorted(f"{app_label}.{codename}" for app_label, codename in rows)

        before = codes()
        account.user_permissions.set(wanted)
        after = codes()
        if before == after:
            return
        record_audit_event(
            action="user.permissions",
            obj=account,
            actor=official,
            before={"permissions": before},
            after={"permissions": after},
            client_address=client_address,
        )


def create_clerk_assignment(
    *, assignment: ClerkAssignment, actor: ConfigurationActor, client_address: str | None = None
) -> ClerkAssignment:
    """Let a clerk enter votes for a station (``assignment`` is unsaved)."""
    return create_object(assignment, kind=CLERK_ASSIGNMENT, actor=actor, client_address=client_address)


def change_clerk_assignment(
    *, assignment: ClerkAssignment, actor: ConfigurationActor, client_address: str | None = None
) -> ClerkAssignment:
    """Store ``assignment``'s edited clerk or station."""
    return change_object(assignment, kind=CLERK_ASSIGNMENT, actor=actor, client_address=client_address)


def delete_clerk_assignment(
    *, assignment: ClerkAssignment, actor: ConfigurationActor, client_address: str | None = None
) -> None:
    """Stop a clerk entering votes for a station."""
    delete_object(assignment, kind=CLERK_ASSIGNMENT, actor=actor, client_address=client_address)


def create_supervisor_assignment(
    *, assignment: SupervisorAssignment, actor: ConfigurationActor, client_address: str | None = None
) -> SupervisorAssignment:
    """Let a supervisor oversee a district (``assignment`` is unsaved)."""
    return create_object(assignment, kind=SUPERVISOR_ASSIGNMENT, actor=actor, client_address=client_address)


def change_supervisor_assignment(
    *, assignment: SupervisorAssignment, actor: ConfigurationActor, client_address: str | None = None
) -> SupervisorAssignment:
    """Store ``assignment``'s edited supervisor or district."""
    return change_object(assignment, kind=SUPERVISOR_ASSIGNMENT, actor=actor, client_address=client_address)


def delete_supervisor_assignment(
    *, assignment: SupervisorAssignment, actor: ConfigurationActor, client_address: str | None = None
) -> None:
    """Stop a supervisor overseeing a district."""
    delete_object(assignment, kind=SUPERVISOR_ASSIGNMENT, actor=actor, client_address=client_address)
