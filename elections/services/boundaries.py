"""Importing a boundary file: district outlines for the results maps, and polling station positions, all or nothing.

The file is read and checked (``boundary_files``), matched to the election and simplified (``boundary_plans``) under
the election's lock; one problem refuses the whole file and nothing is written. Each outline added or changed has its
own audit event (digest, positions and box, never the coordinates themselves: the file's digest names them), each
station moved is changed through ``change_station``, and one event names the file. Loading the same file again
finds everything as it is and writes nothing, not even an event.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from elections.boundary_files import read_boundary_file
from elections.boundary_plans import BoundaryPlan, PlannedBoundary, plan_boundary_import
from elections.boundary_stamps import store_boundary_stamp
from elections.models import DistrictBoundary, Election
from elections.services.audited_writes import (
    ConfigurationActor,
    ConfigurationRefused,
    _database_refusals,
    acting_official,
    refuse_final,
)
from elections.services.configuration import change_station
from elections.services.results_notes import note_elections_changed, one_results_note_per_election
from trust.audit import record_audit_event

# The problems a refusal's message names; ``details["problems"]`` holds them all.
PROBLEMS_IN_MESSAGE = 20


class BoundariesRefused(ConfigurationRefused):
    """A boundary file that cannot load; ``details["problems"]`` names every problem."""

    code = "boundaries_refused"


def _summary(planned: PlannedBoundary) -> dict[str, Any]:
    west, south, east, north = planned.bbox
    return {
        "digest": planned.digest,
        "positions": planned.positions,
        "source_positions": planned.source_positions,
        "bbox": [west, south, east, north],
    }


def _store(planned: PlannedBoundary, boundary: DistrictBoundary) -> DistrictBoundary:
    boundary.coordinates = planned.coordinates
    boundary.west, boundary.south, boundary.east, boundary.north = planned.bbox
    boundary.positions = planned.positions
    boundary.source_positions = planned.source_positions
    boundary.digest = planned.digest
    boundary.save()
    return boundary


def _write_boundaries(plan: BoundaryPlan, *, official: Any, client_address: str | None) -> None:
    for planned in plan.new:
        boundary = _store(planned, DistrictBoundary(district=planned.district))
        record_audit_event(
            action="districtboundary.create",
            obj=boundary,
            actor=official,
            after=_summary(planned),
            client_address=client_address,
            election_id=plan.election.pk,
        )
    stored = {
        b.district_id: b
        for b in DistrictBoundary.objects.select_for_update().filter(district__in=[p.district for p in plan.changed])
    }
    for planned in plan.changed:
        boundary = stored[planned.district.pk]
        before = {
            "digest": boundary.digest,
            "positions": boundary.positions,
            "source_positions": boundary.source_positions,
            "bbox": [boundary.west, boundary.south, boundary.east, boundary.north],
        }
        _store(planned, boundary)
        record_audit_event(
            action="districtboundary.change",
            obj=boundary,
            actor=official,
            before=before,
            after=_summary(planned),
            client_address=client_address,
            election_id=plan.election.pk,
        )


def import_boundaries(
    *,
    election: Election,
    data: bytes,
    actor: ConfigurationActor,
    code_property: str = "",
    client_address: str | None = None,
    file_name: str = "",
) -> BoundaryPlan:
    """Load the boundary file ``data`` (GeoJSON) into ``election``, all or nothing, and return what it did.

    Refused (``BoundariesRefused``, every problem in ``details["problems"]``) when anything in the file is wrong;
    refused (``ConfigurationRefused``) unless an official asks (or the operator) and while the election is certified.
    Features name districts and stations by code (``code_property``, or the usual property names). One
    ``election.boundaries_import`` event holds the file's SHA-256, its name and what changed; a file that changes
    nothing writes nothing.
    """
    official = acting_official(actor)
    boundary_file = read_boundary_file(data, code_property=code_property)
    with _database_refusals(), transaction.atomic(), one_results_note_per_election():
        locked = Election.objects.select_for_update().get(pk=election.pk)
        refuse_final([locked])
        plan = plan_boundary_import(election=locked, boundary_file=boundary_file)
        if plan.problems:
            shown = plan.problems[:PROBLEMS_IN_MESSAGE]
            more = len(plan.problems) - len(shown)
            raise BoundariesRefused(
                " ".join(shown) + (f" (+{more})" if more else ""), details={"problems": plan.problems}
            )
        if not plan.changes_something:
            return plan
        _write_boundaries(plan, official=official, client_address=client_address)
        for position in plan.moved:
            station = position.station
            station.latitude, station.longitude = position.latitude, position.longitude
            change_station(station=station, actor=actor, client_address=client_address)
        record_audit_event(
            action="election.boundaries_import",
            obj=locked,
            actor=official,
            after={"sha256": plan.sha256, "file_name": file_name, "code_property": code_property, **plan.counts},
            client_address=client_address,
            election_id=locked.pk,
        )
        note_elections_changed([locked])
        # Readers of the outlines learn of the new ones from the stamp, set once they are visible to them.
        transaction.on_commit(partial(store_boundary_stamp, election_id=locked.pk))
    return plan
