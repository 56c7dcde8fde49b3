"""The steps every configuration write shares, so that no service repeats them by hand: who may write, the lock and
finality of the election the object belongs to, the model's validation, the write, one audit event with the
object's values before and after, and the note that the election's public results change.

Services name an object's ``Kind`` (its fields, its many-to-many members and how to find its election) and call
``create_object``, ``change_object`` or ``delete_object``. The database refuses the same "certified is final" and
"counting method fixed once open" writes on its own (migration 0003); a refusal of the database becomes a
``ConfigurationRefused``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from elections.models import Election
from elections.services.results_notes import note_elections_changed
from trust.audit import record_audit_event
from trust.errors import DomainError
from trust.roles import require_official

M = TypeVar("M", bound=models.Model)
#: The objects of each many-to-many field a write sets, by field name.
Members = Mapping[str, Iterable[models.Model]]


class Operator:
    """Whoever runs a management command on the server (``seed_demo``): trusted as much as ``createsuperuser``, so
    the rules of an election still hold but no official is asked for. Its audit events name no actor."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = Operator()
ConfigurationActor = User | AnonymousUser | Operator | None


class ConfigurationRefused(DomainError):
    """A configuration write the rules refuse. ``details["fields"]`` maps the fields at fault to their messages."""

    code = "configuration_refused"


def acting_official(actor: ConfigurationActor) -> User | None:
    """The official making a configuration write, or None for the operator; refuses anyone else."""
    if isinstance(actor, Operator):
        return None
    return require_official(actor, message=_("Only an official can change an election's configuration."))


def has_full_powers(actor: ConfigurationActor) -> bool:
    """Whether ``actor`` may do what only a superuser may (the operator may too)."""
    return isinstance(actor, Operator) or (isinstance(actor, User) and actor.is_superuser)


def _allow(actor: ConfigurationActor, stored: Any, new: Any) -> None:
    return None


def _allow_members(obj: Any, members: dict[str, list[models.Model]]) -> None:
    return None


@dataclass(frozen=True)
class Kind(Generic[M]):
    """How the shared steps treat one model.

    ``fields`` are the fields a configuration write sets and the audit log records (never a password).
    ``check(actor, stored, new)`` refuses what this model's own rules forbid: ``stored`` is None on create and
    ``new`` is None on delete. ``members`` are its many-to-many fields, recorded as sorted primary keys;
    ``check_members(obj, members)`` refuses members a write would give ``obj`` that its rules forbid.
    """

    label: str
    fields: tuple[str, ...]
    election_id_of: Callable[[M], int | None]
    check: Callable[[ConfigurationActor, M | None, M | None], None] = _allow
    members: tuple[str, ...] = ()
    check_members: Callable[[M, dict[str, list[models.Model]]], None] = _allow_members


def field_values(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """``obj``'s values of the fields ``names``, a related object by its primary key."""
    return {name: obj._meta.get_field(name).value_from_object(obj) for name in names}  # type: ignore[union-attr]


def member_ids(obj: models.Model, names: Iterable[str]) -> dict[str, list[Any]]:
    """The sorted primary keys of ``obj``'s members in each many-to-many field ``names``."""
    return {name: sorted(getattr(obj, name).values_list("pk", flat=True)) for name in names}


def _wanted_members(kind: Kind[M], members: Members | None) -> dict[str, list[models.Model]]:
    wanted = {name: list(objects) for name, objects in (members or {}).items()}
    unknown = sorted(set(wanted) - set(kind.members))
    if unknown:
        raise TypeError(f"{kind.label} has no members {unknown}")
    return wanted


def _lock_elections(election_ids: Iterable[int | None]) -> list[Election]:
    """Lock the elections with these ids, in id order so that two writers never wait for each other in a circle."""
    ids = sorted({election_id for election_id in election_ids if election_id is not None})
    return list(Election.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def refuse_final(elections: Iterable[Election]) -> None:
    """Refuse any change to what belongs to a certified election."""
    for election in elections:
        if election.is_final:
            raise ConfigurationRefused(
                _("“%(election)s” is certified, and a certified election is final: nothing of it can change.")
                % {"election": election},
                code="election_certified",
            )


def _validate(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as error:
        fields = error.message_dict
        problems = [
            message if field == NON_FIELD_ERRORS else f"{field}: {message}"
            for field, messages in fields.items()
            for message in messages
        ]
        raise ConfigurationRefused(
            _("%(object)s cannot be saved: %(problems)s")
            % {"object": obj._meta.verbose_name, "problems": " ".join(problems)},
            code="invalid",
            details={"fields": fields},
        ) from None


@contextmanager
def _database_refusals() -> Iterator[None]:
    """A write the database refuses (a constraint, or a guard racing a certification) is refused like any other."""
    try:
        yield
    except IntegrityError as error:
        raise ConfigurationRefused(
            _("The database refused this change: %(error)s") % {"error": error}, code="refused_by_database"
        ) from error


def _stored(model: type[M], pk: Any) -> M:
    stored = model._default_manager.filter(pk=pk).first() if pk is not None else None
    if stored is None:
        raise ConfigurationRefused(
            _("This %(model)s does not exist (any more).") % {"model": model._meta.verbose_name}, code="not_found"
        )
    return stored


def _record(
    verb: str,
    obj: M,
    *,
    kind: Kind[M],
    official: User | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    election_id: int | None,
    elections: list[Election],
    client_address: str | None,
) -> None:
    record_audit_event(
        action=f"{kind.label}.{verb}",
        obj=obj,
        actor=official,
        before=before,
        after=after,
        client_address=client_address,
        election_id=election_id,
    )
    note_elections_changed(elections)


def create_object(
    obj: M, *, kind: Kind[M], actor: ConfigurationActor, client_address: str | None, members: Members | None = None
) -> M:
    """Validate and insert the unsaved ``obj`` with its ``members``; one ``<kind>.create`` event holds its values."""
    official = acting_official(actor)
    wanted = _wanted_members(kind, members)
    with _database_refusals(), transaction.atomic():
        elections = _lock_elections([kind.election_id_of(obj)])
        refuse_final(elections)
        kind.check(actor, None, obj)
        kind.check_members(obj, wanted)
        _validate(obj)
        obj.save(force_insert=True)
        for name, objects in wanted.items():
            getattr(obj, name).set(objects)
        if isinstance(obj, Election):
            elections = [obj]
        _record(
            "create",
            obj,
            kind=kind,
            official=official,
            before=None,
            after=field_values(obj, kind.fields) | member_ids(obj, kind.members),
            election_id=kind.election_id_of(obj),
            elections=elections,
            client_address=client_address,
        )
    return obj


def change_object(
    obj: M, *, kind: Kind[M], actor: ConfigurationActor, client_address: str | None, members: Members | None = None
) -> M:
    """Store the values ``obj`` holds in ``kind.fields`` (no other field is written), and the ``members`` given (a
    many-to-many field left out keeps its members). One ``<kind>.change`` event holds the fields that changed,
    before and after; a change that changes nothing writes nothing."""
    official = acting_official(actor)
    model = type(obj)
    wanted = _wanted_members(kind, members)
    with _database_refusals(), transaction.atomic():
        current = _stored(model, obj.pk)
        # An object moved to another election belongs to both while it moves: both must allow it.
        elections = _lock_elections([kind.election_id_of(current), kind.election_id_of(obj)])
        stored = model._default_manager.select_for_update().get(pk=obj.pk)
        refuse_final(elections)
        before = field_values(stored, kind.fields) | member_ids(stored, wanted)
        after = field_values(obj, kind.fields) | {name: sorted(o.pk for o in objs) for name, objs in wanted.items()}
        changed = [name for name in (*kind.fields, *wanted) if before[name] != after[name]]
        if not changed:
            return obj
        kind.check(actor, stored, obj)
        kind.check_members(obj, wanted)
        _validate(obj)
        obj.save(update_fields=[name for name in changed if name in kind.fields])
        for name in changed:
            if name in wanted:
                getattr(obj, name).set(wanted[name])
        if isinstance(obj, Election):
            # The public results are found by slug: note the new one too when it changed.
            elections = [*elections, obj]
        _record(
            "change",
            obj,
            kind=kind,
            official=official,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
            election_id=kind.election_id_of(obj),
            elections=elections,
            client_address=client_address,
        )
    return obj


def delete_object(obj: M, *, kind: Kind[M], actor: ConfigurationActor, client_address: str | None) -> None:
    """Delete ``obj``, and what Django deletes with it. One ``<kind>.delete`` event holds its values and counts what
    went with it; an object something else still refers to is refused, naming what."""
    official = acting_official(actor)
    model = type(obj)
    with _database_refusals(), transaction.atomic():
        elections = _lock_elections([kind.election_id_of(_stored(model, obj.pk))])
        stored = model._default_manager.select_for_update().get(pk=obj.pk)
        refuse_final(elections)
        kind.check(actor, stored, None)
        before = field_values(stored, kind.fields) | member_ids(stored, kind.members)
        pk, election_id = stored.pk, kind.election_id_of(stored)
        try:
            deleted = stored.delete()[1]
        except (ProtectedError, RestrictedError) as error:
            others = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
            users = sorted(f"{other._meta.verbose_name} {other}" for other in others)
            raise ConfigurationRefused(
                _("%(object)s cannot be deleted: %(users)s still refer to it.")
                % {"object": stored, "users": ", ".join(users[:5]) + (" …" if len(users) > 5 else "")},
                code="in_use",
            ) from None
        went_with_it = {label: count for label, count in deleted.items() if label != model._meta.label and count}
        if went_with_it:
            before["deleted_with_it"] = went_with_it
        # delete() cleared the primary key; the event names the object that was deleted.
        stored.pk = pk
        _record(
            "delete",
            stored,
            kind=kind,
            official=official,
            before=before,
            after=None,
            election_id=election_id,
            elections=elections,
            client_address=client_address,
        )
