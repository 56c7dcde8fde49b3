"""What the public sees holds accepted numbers only: a sheet waiting for its second entry or for a supervisor's
review, and the note its clerk typed, reach no public page, API answer, CSV, NIST export or live frame."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from ballots.models import TallySheet
from ballots.tests.support import set_counting
from elections.models import Contest, Election, PollingStation
from results.frames import state_key
from results.services import refresh_tallies
from results.tests.support import enter_sheet, viewer

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Numbers no accepted entry, total, share or id of this test comes near, and the clerks' own notes.
CORRECTION_IN_REVIEW = [48613, 37919]
FIRST_OF_TWO_ENTRIES = [52871, 29467]
WITHHELD_NUMBERS = [*CORRECTION_IN_REVIEW, sum(CORRECTION_IN_REVIEW), *FIRST_OF_TWO_ENTRIES, sum(FIRST_OF_TWO_ENTRIES)]
WITHHELD_NOTES = ["Clerk's own note: recounted by torchlight", "Clerk's own note: the sheet is smudged"]


@pytest.fixture
def withheld(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    south_station: PollingStation,
    contest: Contest,
    official: User,
    clerk: User,
    new_key: Callable[[], str],
) -> Election:
    """Two stations accepted; then, under double entry, a clerk's correction waiting for review at N-001 and a first
    entry waiting for its second at S-001, each with a note."""
    PollingStation.objects.filter(pk__in=[station.pk, south_station.pk]).update(registered_voters=90000)
    enter_sheet(station=station, contest=contest, actor=official, votes=[412, 388], key=new_key())
    enter_sheet(station=other_station, contest=contest, actor=official, votes=[101, 99], key=new_key())
    set_counting(published, Election.CountingMethod.TALLY_SHEETS, double_entry=True)
    enter_sheet(
        station=station,
        contest=contest,
        actor=clerk,
        votes=CORRECTION_IN_REVIEW,
        key=new_key(),
        reason=WITHHELD_NOTES[0],
    )
    enter_sheet(
        station=south_station,
        contest=contest,
        actor=official,
        votes=FIRST_OF_TWO_ENTRIES,
        key=new_key(),
        reason=WITHHELD_NOTES[1],
    )
    statuses = set(TallySheet.objects.filter(station__election=published).values_list("status", flat=True))
    assert {TallySheet.Status.NEEDS_REVIEW, TallySheet.Status.PENDING_SECOND_ENTRY} <= statuses
    return published


async def _live_frame(election: Election) -> str:
    """The frame a viewer receives on the next broadcast, every part included (as a viewer's first frame is)."""
    communicator, _hello = await viewer(election.slug)
    for language, _name in settings.LANGUAGES:
        await database_sync_to_async(cache.delete)(state_key(election.pk, language))
    await database_sync_to_async(refresh_tallies)(election_id=election.pk)
    frame = await communicator.receive_from(timeout=5)
    await communicator.disconnect()
    return frame


def _page(path: str, language: str = "en") -> Callable[[Election], str]:
    def read(election: Election) -> str:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get(path.format(slug=election.slug))
        assert response.status_code == 200, path
        return response.content.decode()

    return read


OUTPUTS: dict[str, Callable[[Election], str]] = {
    "overview": _page("/results/{slug}/"),
    "overview in Arabic": _page("/results/{slug}/", "ar"),
    "contest": _page("/results/{slug}/contest/mayor/"),
    "district N": _page("/results/{slug}/district/N/"),
    "district S, pending": _page("/results/{slug}/district/S/"),
    "station under review": _page("/results/{slug}/station/N-001/"),
    "station under review in Arabic": _page("/results/{slug}/station/N-001/", "ar"),
    "station pending": _page("/results/{slug}/station/S-001/"),
    "API snapshot": _page("/api/v1/results/elections/{slug}"),
    "API contest": _page("/api/v1/results/elections/{slug}/contests/mayor"),
    "API station under review": _page("/api/v1/results/elections/{slug}/stations/N-001"),
    "API station pending": _page("/api/v1/results/elections/{slug}/stations/S-001"),
    "CSV": _page("/api/v1/results/elections/{slug}/stations.csv"),
    "NIST export": _page("/api/v1/results/elections/{slug}/nist.json"),
    "live frame": async_to_sync(_live_frame),
}


@pytest.mark.parametrize("output", list(OUTPUTS))
def test_numbers_and_notes_of_sheets_not_yet_accepted_reach_no_public_output(output: str, withheld: Election) -> None:
    text = OUTPUTS[output](withheld)
    # The output does carry the accepted numbers (or, for a station's own answers, that station's), so the checks
    # below look at something real.
    if "pending" not in output:
        assert re.search(r"(?<![\w.])(412|513)(?![\w.])", text), output
    for number in WITHHELD_NUMBERS:
        assert not re.search(rf"(?<![\w.]){number}(?![\w.])", text), (output, number)
    for note in WITHHELD_NOTES:
        for form in (note, note.replace("'", "&#x27;"), note.replace("'", "\\u0027")):
            assert form not in text, (output, note)
    assert "Needs review" not in text
    assert "Waiting for the second entry" not in text
