"""A NIST SP 1500-100 V2 report that VoteTracker exports (the public API's nist.json) goes back into an empty copy
of its election's structure with identical results: every contest's totals, votes by type, undervotes, overvotes
and stations reporting."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from ballots.results_files import enter_results_file
from ballots.selectors import list_station_results
from ballots.tests.shapes import build_shapes, enter_typed_sheet
from elections.models import Candidate, Contest, District, Election, ElectoralDistrict, Party, PollingStation, VoteType
from elections.results_files import parse_results_file
from elections.services import open_election, publish_results

pytestmark = pytest.mark.django_db


def _copy_structure(source: Election) -> Election:
    """A new election with the same districts, stations, parties, vote types, contests and candidates (their ids
    differ, so the report's ids mean nothing to it: it is matched by names)."""
    copy = Election.objects.create(
        name=f"{source.name} (copy)",
        slug=f"{source.slug}-copy",
        date=source.date,
        counts_blank_and_invalid=source.counts_blank_and_invalid,
        counts_undervotes_and_overvotes=source.counts_undervotes_and_overvotes,
    )
    for vote_type in VoteType.objects.filter(election=source):
        VoteType.objects.create(
            election=copy,
            code=vote_type.code,
            name=vote_type.name,
            nist_type=vote_type.nist_type,
            position=vote_type.position,
        )
    districts = {d.pk: District.objects.create(election=copy, code=d.code, name=d.name) for d in source.districts.all()}
    stations = {
        s.pk: PollingStation.objects.create(
            election=copy,
            district=districts[s.district_id],
            code=s.code,
            name=s.name,
            registered_voters=s.registered_voters,
        )
        for s in source.stations.all()
    }
    areas = {}
    for area in ElectoralDistrict.objects.filter(election=source):
        areas[area.pk] = ElectoralDistrict.objects.create(election=copy, code=area.code, name=area.name)
        areas[area.pk].stations.set([stations[s.pk] for s in area.stations.all()])
    parties = {
        p.pk: Party.objects.create(election=copy, name=p.name, abbreviation=p.abbreviation, colour=p.colour)
        for p in source.parties.all()
    }
    for contest in source.contests.all():
        twin = Contest.objects.create(
            election=copy,
            name=contest.name,
            slug=contest.slug,
            kind=contest.kind,
            threshold=contest.threshold,
            district=districts.get(contest.district_id) if contest.district_id else None,
            electoral_district=areas.get(contest.electoral_district_id) if contest.electoral_district_id else None,
            position=contest.position,
        )
        for candidate in contest.candidates.all():
            Candidate.objects.create(
                contest=twin,
                name_en=candidate.name_en,
                name_ar=candidate.name_ar,
                party=parties.get(candidate.party_id) if candidate.party_id else None,
                ballot_order=candidate.ballot_order,
                is_write_in=candidate.is_write_in,
            )
    return copy


def _results_by_name(election: Election) -> dict[tuple[str, str], Any]:
    """Every station result of ``election`` by (station code, contest name), with names for ids."""
    stations = dict(PollingStation.objects.filter(election=election).values_list("pk", "code"))
    contests = dict(Contest.objects.filter(election=election).values_list("pk", "name"))
    names = dict(Candidate.objects.filter(contest__election=election).values_list("pk", "name_en"))
    types = dict(VoteType.objects.filter(election=election).values_list("pk", "code"))
    return {
        (stations[r.station_id], contests[r.contest_id]): (
            r.ballots_cast,
            r.undervotes,
            r.overvotes,
            Counter({names[c]: n for c, n in r.votes.items()}),
            {names[c]: {types[t]: n for t, n in per.items()} for c, per in r.by_type.items()},
        )
        for r in list_station_results(election=election)
    }


def test_an_exported_nist_report_imports_back_with_identical_results(client: Client, official: User) -> None:
    shapes = build_shapes(official=official)
    sheets = [
        (shapes.known, shapes.executive, [(120, 30), (90, 41), (2, 0)], 5, 1),
        (shapes.unknown, shapes.executive, [(60, 12), (75, 20), (0, 1)], 0, 0),
        (shapes.across, shapes.executive, [(101, 9), (88, 14), (1, 1)], 3, 0),
        (shapes.known, shapes.house, [(140, 33), (70, 30)], 9, 2),
        (shapes.across, shapes.house, [(99, 20), (91, 5)], 4, 0),
        (shapes.known, shapes.measure, [(150, 40), (61, 28)], 12, 0),
    ]
    for number, (station, contest, by_type, undervotes, overvotes) in enumerate(sheets):
        enter_typed_sheet(
            station=station,
            contest=contest,
            actor=official,
            key=f"nist-round-trip-{number}",
            by_type=by_type,
            undervotes=undervotes,
            overvotes=overvotes,
        )
    publish_results(election=shapes.election, actor=official)
    response = client.get(f"/api/v1/results/elections/{shapes.election.slug}/nist.json")
    assert response.status_code == 200
    copy = open_election(election=_copy_structure(shapes.election), actor=official)

    entered = enter_results_file(
        election=copy, results=parse_results_file(response.content), actor=official, file_name="export.json"
    )

    assert entered.entered == len(sheets)
    assert _results_by_name(copy) == _results_by_name(shapes.election)
    assert len(_results_by_name(copy)) == len(sheets)
