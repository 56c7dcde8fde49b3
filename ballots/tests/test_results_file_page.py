"""The results file page: officials only; upload, preview (nothing written, every problem named), confirm; the
structure of a draft election first, then its results."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ballots.models import TallySheet
from ballots.tests.results_file_support import MARTIN, edited
from elections.models import Election, PollingStation
from elections.services import open_election
from trust.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("entry:results_file")


@pytest.fixture
def draft(db: None) -> Election:
    return Election.objects.create(name="Martin County 2020", slug="martin-2020", date=dt.date(2020, 11, 3))


def _upload(client: Client, election: Election, data: bytes, purpose: str = "results") -> Any:
    upload = SimpleUploadedFile("martin.csv", data, content_type="text/csv")
    return client.post(URL, {"election": election.pk, "purpose": purpose, "results_file": upload})


def _confirm(client: Client, election: Election, data: bytes, purpose: str = "results") -> Any:
    sha256 = hashlib.sha256(data).hexdigest()
    fields = {"election": election.pk, "purpose": purpose, "sha256": sha256, "file_name": "martin.csv"}
    return client.post(URL, fields, follow=True)


def test_only_officials_reach_the_page(client: Client, clerk: User, official: User) -> None:
    assert client.get(URL).status_code == 302
    client.force_login(clerk)
    assert client.get(URL).status_code == 403
    assert URL not in client.get(reverse("entry:home")).content.decode()
    client.force_login(official)
    assert client.get(URL).status_code == 200
    assert URL in client.get(reverse("entry:home")).content.decode()


def test_structure_then_results_through_the_page(official_client: Client, draft: Election, official: User) -> None:
    preview = _upload(official_client, draft, MARTIN, purpose="structure")
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "8 polling stations (precincts)" in page
    assert "Create the structure" in page
    assert not PollingStation.objects.filter(election=draft).exists()
    done = _confirm(official_client, draft, MARTIN, purpose="structure")
    assert "Created from the file: " in done.content.decode()
    assert PollingStation.objects.filter(election=draft).count() == 8
    again = _upload(official_client, draft, MARTIN, purpose="structure").content.decode()
    assert "Nothing to create: the election already has everything this file names." in again
    assert "Create the structure" not in again
    open_election(election=Election.objects.get(pk=draft.pk), actor=official)

    preview = _upload(official_client, draft, MARTIN)
    assert "New entries: 98" in preview.content.decode()
    assert TallySheet.objects.count() == 0
    done = _confirm(official_client, draft, MARTIN)
    assert "98 tally sheets entered from the file" in done.content.decode()
    assert TallySheet.objects.count() == 98

    again = _upload(official_client, draft, MARTIN).content.decode()
    assert "Already entered from this file: 98" in again
    assert "Nothing to enter: this file changes nothing." in again
    assert "Enter the results" not in again
    assert (
        "Nothing changed: every sheet of this file was already entered."
        in _confirm(official_client, draft, MARTIN).content.decode()
    )


def test_a_bad_file_is_named_in_the_preview_and_offers_no_confirmation(
    official_client: Client, draft: Election, official: User
) -> None:
    _upload(official_client, draft, MARTIN, purpose="structure")
    _confirm(official_client, draft, MARTIN, purpose="structure")
    open_election(election=Election.objects.get(pk=draft.pk), actor=official)
    events = AuditEvent.objects.count()
    bad = edited(MARTIN, "Jon Mark Hogg,90,58,27,5", "Jon Mark Hogg,-90,58,27,5")
    response = _upload(official_client, draft, bad)
    page = response.content.decode()
    assert response.status_code == 422
    assert "Line 23, votes: This count cannot be negative (-90)." in page
    assert "Enter the results" not in page
    assert (TallySheet.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_a_confirmation_whose_file_is_no_longer_kept_asks_for_it_again(
    official_client: Client, draft: Election
) -> None:
    _upload(official_client, draft, MARTIN, purpose="structure")
    cache.delete(f"results-file:{hashlib.sha256(MARTIN).hexdigest()}")
    page = _confirm(official_client, draft, MARTIN, purpose="structure").content.decode()
    assert "The uploaded file is no longer kept. Upload it again." in page
    assert not PollingStation.objects.filter(election=draft).exists()
