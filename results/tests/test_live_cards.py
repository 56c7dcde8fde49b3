"""A card that a live update changes reaches the viewer rendered exactly as the page renders it, with what the page's
script compares to highlight the changed figures (each figure's data-figure and data-value) and the sentence it reads
out (data-update-note), in the viewer's language."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from elections.models import Candidate, Contest, Election, PollingStation
from results.tests.support import ORIGIN, close_sync_thread_connections, enter_sheet, viewer  # noqa: F401 - autouse
from votetracker.asgi import application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def figures(fragment: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)" data-value="([^"]*)"', fragment))


def page_card(slug: str, language: str) -> str:
    html = Client().get(f"/results/{slug}/", headers={"accept-language": language}).content.decode()
    found = re.search(r'<section[^>]*id="part-contest-mayor".*?</section>', html, re.DOTALL)
    assert found is not None
    return found.group(0)


async def next_update(communicator: WebsocketCommunicator) -> dict:
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "update"
    return frame


async def test_an_updated_card_carries_its_changed_figures_and_equals_the_page_in_both_languages(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    new_key: Callable[[], str],
) -> None:
    english, _hello = await viewer(published.slug)
    arabic = WebsocketCommunicator(application, f"/ws/results/{published.slug}/?lang=ar", headers=ORIGIN)
    assert (await arabic.connect(timeout=5))[0]
    await arabic.receive_json_from(timeout=5)
    amal = await database_sync_to_async(lambda: Candidate.objects.get(contest=contest, ballot_order=1).pk)()

    await database_sync_to_async(
        lambda: enter_sheet(station=station, contest=contest, actor=official, votes=[300, 100], key=new_key())
    )()
    before = (await next_update(english))["parts"]["contest-mayor"]
    await next_update(arabic)

    await database_sync_to_async(
        lambda: enter_sheet(station=other_station, contest=contest, actor=official, votes=[200, 150], key=new_key())
    )()
    after_en = (await next_update(english))["parts"]["contest-mayor"]
    after_ar = (await next_update(arabic))["parts"]["contest-mayor"]

    # The fragment is the page's own card, byte for byte, in each language.
    assert after_en.strip() == (await database_sync_to_async(page_card)(published.slug, "en")).strip()
    assert after_ar.strip() == (await database_sync_to_async(page_card)(published.slug, "ar")).strip()

    # What changed is what the script highlights: Amal's votes, the stations reporting, the registered voters counted,
    # the margin and the votes still out; the leader did not change, so the lead is not highlighted.
    old, new = figures(before), figures(after_en)
    changed = {key for key in new if old.get(key) != new[key]}
    assert {f"row-{amal}", "reporting", "registered", "margin", "outstanding"} <= changed
    assert "lead" not in changed
    assert (old["reporting"], new["reporting"]) == ("1", "2")
    assert (old["margin"], new["margin"]) == ("200", "250")
    assert new[f"row-{amal}"] == "500 leading"
    assert figures(after_ar) == new  # the same figures whatever the language
    # Turnout too, whose figure is the ballots and registered voters behind it, not its wording.
    assert old["turnout"] != new["turnout"]
    # The sentence read out for it, in the viewer's language.
    note = re.search(r'data-update-note="([^"]*)"', after_en)
    assert note is not None
    assert "Leading: \u2068Amal Haddad\u2069. Margin: 250 votes. 2 of 3 stations reporting." in note.group(1)
    arabic_note = re.search(r'data-update-note="([^"]*)"', after_ar)
    assert arabic_note is not None
    assert "\u2068أمل حداد\u2069" in arabic_note.group(1)
    await english.disconnect()
    await arabic.disconnect()
