"""An election's structure from a results file: the districts, polling stations, parties, vote types, contests,
electoral districts and candidates the file names and a draft election lacks, created in one transaction through
the configuration services (each object checked and audited as if an official had added it by hand), and one event
naming the file they came from."""

from __future__ import annotations

from typing import TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from elections.models import Election
from elections.results_files import ResultsFile
from elections.results_files.structure import StructurePlan, plan_structure
from elections.services.audited_writes import ConfigurationActor, ConfigurationRefused, acting_official
from elections.services.configuration import (
    change_election,
    change_station,
    create_candidate,
    create_contest,
    create_district,
    create_party,
    create_station,
    create_vote_type,
)
from elections.services.electoral_districts import create_electoral_district
from elections.services.results_notes import one_results_note_per_election
from trust.audit import record_audit_event

M = TypeVar("M", bound=Model)


def _relink(obj: M, *names: str) -> M:
    """Point ``obj``'s foreign keys ``names`` at the objects they hold, saved since they were assigned (Django reads
    the key of an object assigned unsaved only when saving, after validation has found it missing)."""
    for name in names:
        setattr(obj, name, getattr(obj, name))
    return obj


def _write_plan(plan: StructurePlan, *, actor: ConfigurationActor, client_address: str | None) -> None:
    if plan.counts_undervotes_and_overvotes:
        # The file counts what a contest's ballots left unmarked or overmarked, not blank and invalid ballots.
        plan.election.counts_undervotes_and_overvotes = True
        plan.election.counts_blank_and_invalid = False
        change_election(election=plan.election, actor=actor, client_address=client_address)
    for vote_type in plan.vote_types:
        create_vote_type(vote_type=vote_type, actor=actor, client_address=client_address)
    for district in plan.districts:
        create_district(district=district, actor=actor, client_address=client_address)
    for station in plan.stations:
        create_station(station=_relink(station, "district"), actor=actor, client_address=client_address)
    for station in plan.filled_registered_voters:
        change_station(station=station, actor=actor, client_address=client_address)
    for party in plan.parties:
        create_party(party=party, actor=actor, client_address=client_address)
    for contest_plan in plan.contests:
        if contest_plan.area is not None:
            contest_plan.contest.electoral_district = create_electoral_district(
                electoral_district=contest_plan.area,
                stations=contest_plan.area_stations,
                actor=actor,
                client_address=client_address,
            )
        create_contest(contest=_relink(contest_plan.contest, "district"), actor=actor, client_address=client_address)
        for candidate in contest_plan.candidates:
            create_candidate(
                candidate=_relink(candidate, "contest", "party"), actor=actor, client_address=client_address
            )
    for candidate in plan.candidates:
        create_candidate(candidate=_relink(candidate, "party"), actor=actor, client_address=client_address)


def create_structure_from_results_file(
    *,
    election: Election,
    results: ResultsFile,
    actor: ConfigurationActor,
    client_address: str | None = None,
    file_name: str = "",
) -> StructurePlan:
    """Create what the draft ``election`` lacks to take ``results`` (see ``plan_structure``), all or nothing, and
    return what was created. Refused (``ConfigurationRefused``) unless an official asks and the election is a draft;
    one ``election.structure_from_results_file`` event holds the file's SHA-256 and what was created."""
    official = acting_official(actor)
    with transaction.atomic(), one_results_note_per_election():
        locked = Election.objects.select_for_update().get(pk=election.pk)
        plan = plan_structure(election=locked, results=results)
        if plan.problems:
            raise ConfigurationRefused(" ".join(plan.problems), code="structure_refused")
        if plan.is_empty:
            return plan
        _write_plan(plan, actor=actor, client_address=client_address)
        record_audit_event(
            action="election.structure_from_results_file",
            obj=locked,
            actor=official,
            after={"sha256": results.sha256, "format": results.format, "file_name": file_name, **plan.counts},
            client_address=client_address,
            election_id=locked.pk,
        )
    return plan


def describe_structure_counts(counts: dict[str, int]) -> list[str]:
    """The counts of a structure plan in words, for the preview and the message after creating it."""
    words = {
        "districts": _("districts (counties)"),
        "stations": _("polling stations (precincts)"),
        "registered_voters_filled": _("stations whose unknown registered voters are filled in"),
        "parties": _("parties"),
        "vote_types": _("vote types"),
        "contests": _("contests"),
        "measures": _("of them ballot measures"),
        "electoral_districts": _("electoral districts (one per contest not voted everywhere)"),
        "candidates": _("candidates and choices"),
        "write_ins": _("of them write-in lines"),
    }
    return [f"{counts[key]} {label}" for key, label in words.items() if key in counts]
