"""Names on the public results pages are set apart from the text around them: a name holding a right-to-left
override (U+202E) turns only itself around, never the page's title, a map tooltip or "Leading: …"."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from elections.models import Candidate, Contest, District, Election, Party, PollingStation
from results.services import refresh_tallies
from results.tests.support import enter_sheet

pytestmark = pytest.mark.django_db

OVERRIDE, FSI, PDI = "\u202e", "\u2068", "\u2069"


@pytest.fixture
def spoofed(
    open_vote: Election, official: User, new_key: Callable[[], str], django_capture_on_commit_callbacks: Any
) -> Election:
    """The shared election with a right-to-left override in every name, reported from two placed stations."""
    Election.objects.filter(pk=open_vote.pk).update(name=f"{OVERRIDE}Riverland")
    for model in (District, PollingStation, Contest, Party):
        for pk in model._default_manager.filter(election=open_vote).values_list("pk", flat=True):
            model._default_manager.filter(pk=pk).update(name=f"{OVERRIDE}{model.__name__} {pk}")
    for pk in Candidate.objects.filter(contest__election=open_vote).values_list("pk", flat=True):
        Candidate.objects.filter(pk=pk).update(name_en=f"{OVERRIDE}Candidate {pk}")
    for index, placed in enumerate(PollingStation.objects.filter(election=open_vote).order_by("code")):
        PollingStation.objects.filter(pk=placed.pk).update(latitude=31.9 + index / 100, longitude=35.9 + index / 50)
    contest = open_vote.contests.get(slug="mayor")
    with django_capture_on_commit_callbacks(execute=True):
        for code, votes in [("N-001", [412, 388]), ("S-001", [5, 9])]:
            enter_sheet(
                station=open_vote.stations.get(code=code), contest=contest, actor=official, votes=votes, key=new_key()
            )
    return open_vote


def spills(html: str) -> list[str]:
    """Each override that is neither inside a ``<bdi>`` nor between FSI and PDI, with the text before it."""
    found = []
    for match in re.finditer(OVERRIDE, html):
        before = html[: match.start()]
        in_bdi = before.rfind("<bdi>") > before.rfind("</bdi>")
        in_isolate = before.rfind(FSI) > before.rfind(PDI)
        if not (in_bdi or in_isolate):
            found.append(before[-80:])
    return found


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_name_with_a_right_to_left_override_never_spills_out_of_its_isolate(
    spoofed: Election, published: Election, client: Client, language: str
) -> None:
    refresh_tallies(election_id=published.pk)
    slug = published.slug
    for path in [
        f"/results/{slug}/",
        f"/results/{slug}/contest/mayor/",
        f"/results/{slug}/district/N/",
        f"/results/{slug}/station/N-001/",
    ]:
        response = client.get(path, headers={"accept-language": language})
        assert response.status_code == 200
        html = response.content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title is not None, path
        assert OVERRIDE in title.group(1), path
        assert html.count(OVERRIDE) > 3, path
        assert spills(html) == [], path


def test_a_map_tooltip_and_the_leading_names_are_isolated(
    spoofed: Election, published: Election, client: Client
) -> None:
    html = client.get(f"/results/{published.slug}/").content.decode()
    tooltips = re.findall(r"<title>([^<]*)</title>", html)[1:]
    assert tooltips
    assert all(tip.count(FSI) == tip.count(PDI) >= 1 for tip in tooltips)
    assert re.search(r"Leading: <bdi>\u202eCandidate \d+</bdi>", html)
