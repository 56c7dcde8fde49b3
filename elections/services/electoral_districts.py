"""Every write of an election's electoral districts: the areas contests are voted in that follow no one district.
An electoral district is written with its members (its districts and its polling stations) in one step, so that its
audit event holds them before and after like any other field (see ``audited_writes``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext as _

from elections.models import Contest, District, Election, ElectoralDistrict, PollingStation
from elections.services.audited_writes import (
    ConfigurationActor,
    ConfigurationRefused,
    Kind,
    Members,
    change_object,
    create_object,
    delete_object,
)


def _refuse_moving_a_counted_area(area: ElectoralDistrict, members: dict[str, list[models.Model]]) -> None:
    """Refuse new members for an area its contests are counted over once the election has left draft: each
    contest's stations reporting, its totals and what clerks may enter would change under the public, as the
    election's vote types and what its sheets count are fixed then too."""
    if area.pk is None or not members:
        return
    # Read under the election's lock, which the shared steps hold by now.
    election = Election.objects.get(pk=area.election_id)
    if election.status == Election.Status.DRAFT or not Contest.objects.filter(electoral_district=area).exists():
        return
    stored = ElectoralDistrict.objects.get(pk=area.pk)
    moved = [
        name
        for name, objects in members.items()
        if {obj.pk for obj in objects} != set(getattr(stored, name).values_list("pk", flat=True))
    ]
    if not moved:
        return
    message = _(
        "The districts and polling stations of “%(area)s” can no longer change: “%(election)s” is %(status)s, and the "
        "area a contest is counted over is fixed once the election leaves draft."
    ) % {"area": area.name, "election": election, "status": election.get_status_display()}
    raise ConfigurationRefused(message, code="area_frozen", details={"fields": {name: [message] for name in moved}})


def _check_members(area: ElectoralDistrict, members: dict[str, list[models.Model]]) -> None:
    """Refuse districts and stations of another election (an area lies within its own election), and any change of
    members once the area is counted (``_refuse_moving_a_counted_area``)."""
    _refuse_moving_a_counted_area(area, members)
    fields: dict[str, list[str]] = {}
    for name, objects in members.items():
        strangers = sorted(str(obj) for obj in objects if getattr(obj, "election_id", None) != area.election_id)
        if strangers:
            fields[name] = [
                _("These belong to another election: %(objects)s.") % {"objects": ", ".join(strangers[:5])}
                + (" …" if len(strangers) > 5 else "")
            ]
    if fields:
        problems = " ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
        raise ConfigurationRefused(
            _("%(object)s cannot be saved: %(problems)s")
            % {"object": ElectoralDistrict._meta.verbose_name, "problems": problems},
            code="invalid",
            details={"fields": fields},
        )


ELECTORAL_DISTRICT = Kind[ElectoralDistrict](
    label="electoraldistrict",
    fields=("election", "code", "name", "name_ar"),
    election_id_of=lambda area: area.election_id,
    members=("districts", "stations"),
    check_members=_check_members,
)


def _members(districts: Iterable[District] | None, stations: Iterable[PollingStation] | None) -> Members:
    given: dict[str, Iterable[models.Model]] = {}
    if districts is not None:
        given["districts"] = districts
    if stations is not None:
        given["stations"] = stations
    return given


def create_electoral_district(
    *,
    electoral_district: ElectoralDistrict,
    districts: Iterable[District] = (),
    stations: Iterable[PollingStation] = (),
    actor: ConfigurationActor,
    client_address: str | None = None,
) -> ElectoralDistrict:
    """Add ``electoral_district`` (unsaved) to its election, made of ``districts`` (each with every station inside
    it, at any depth) and ``stations``, all of the same election."""
    return create_object(
        electoral_district,
        kind=ELECTORAL_DISTRICT,
        actor=actor,
        client_address=client_address,
        members=_members(districts, stations),
    )


def change_electoral_district(
    *,
    electoral_district: ElectoralDistrict,
    districts: Iterable[District] | None = None,
    stations: Iterable[PollingStation] | None = None,
    actor: ConfigurationActor,
    client_address: str | None = None,
) -> ElectoralDistrict:
    """Store ``electoral_district``'s edited fields and, when given, its new ``districts`` and ``stations`` (None
    keeps them). The contests over it are then voted on at its new set of stations."""
    return change_object(
        electoral_district,
        kind=ELECTORAL_DISTRICT,
        actor=actor,
        client_address=client_address,
        members=_members(districts, stations),
    )


def delete_electoral_district(
    *, electoral_district: ElectoralDistrict, actor: ConfigurationActor, client_address: str | None = None
) -> None:
    """Delete ``electoral_district`` (refused while contests are voted in it)."""
    delete_object(electoral_district, kind=ELECTORAL_DISTRICT, actor=actor, client_address=client_address)
