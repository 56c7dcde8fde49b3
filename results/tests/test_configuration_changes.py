"""A configuration change made in the admin, an import or a service reaches the public snapshot right after commit;
a certified election refuses every such change, and its public results stay as they were."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from elections import services
from elections.models import Candidate, Election, Party, PollingStation
from elections.services import ConfigurationRefused
from elections.tests.support import admin_form_data
from results.selectors import get_public_snapshot

pytestmark = pytest.mark.django_db

RENAMING_FILE = b"contest,ballot_order,name_en,name_ar\r\nmayor,1,Changed,x\r\n"


def _snapshot(election: Election) -> dict[str, Any]:
    snapshot = get_public_snapshot(slug=election.slug)
    assert snapshot is not None
    return dict(snapshot)


def _candidate_names(snapshot: dict[str, Any]) -> list[str]:
    return [candidate["name"] for contest in snapshot["contests"] for candidate in contest["candidates"]]


def _edit_in_admin(client: Client, model: str, pk: int, **changes: Any) -> None:
    url = reverse(f"admin:elections_{model}_change", args=[pk])
    response = client.post(url, admin_form_data(client, url) | changes)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""


def test_an_edit_in_the_admin_shows_in_the_public_snapshot_right_after_commit(
    published: Election, official_client: Client, django_capture_on_commit_callbacks
) -> None:
    before = _snapshot(published)
    candidate = Candidate.objects.get(contest__election=published, ballot_order=1)
    party = Party.objects.get(election=published)
    station = PollingStation.objects.get(election=published, code="N-001")

    with django_capture_on_commit_callbacks(execute=True):
        _edit_in_admin(official_client, "candidate", candidate.pk, name_en="Amal Haddad-Nasser")
    with django_capture_on_commit_callbacks(execute=True):
        _edit_in_admin(official_client, "party", party.pk, colour="#D62728")
    with django_capture_on_commit_callbacks(execute=True):
        _edit_in_admin(official_client, "pollingstation", station.pk, registered_voters=1000)

    after = _snapshot(published)
    assert "Amal Haddad-Nasser" in _candidate_names(after)
    assert "Amal Haddad" in _candidate_names(before)
    assert [p["colour"] for p in after["parties"]] == ["#D62728"]
    assert {s["code"]: s["registered_voters"] for s in after["stations"]}["N-001"] == 1000
    assert after["totals"]["registered_voters"] == before["totals"]["registered_voters"] + 200
    assert after["version"] > before["version"]


def test_an_import_shows_in_the_public_snapshot_right_after_commit(
    published: Election, official_client: Client, django_capture_on_commit_callbacks
) -> None:
    content = b"contest,ballot_order,name_en,name_ar,party\r\nmayor,2,Omar Nasser-Saleh,\xd8\xb9\xd9\x85\xd8\xb1,\r\n"
    preview = official_client.post(
        reverse("admin:elections_candidate_import"),
        {
            "resource": "0",
            "election": published.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("candidates.csv", content),
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        official_client.post(
            reverse("admin:elections_candidate_process_import"), preview.context["confirm_form"].initial
        )

    assert "Omar Nasser-Saleh" in _candidate_names(_snapshot(published))


def test_a_certified_election_refuses_the_admin_an_import_a_service_and_the_orm(
    published: Election, official: User, official_client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.close_election(election=published, actor=official)
        services.certify_election(election=published, actor=official)
    before = _snapshot(published)
    candidate = Candidate.objects.get(contest__election=published, ballot_order=1)
    url = reverse("admin:elections_candidate_change", args=[candidate.pk])

    admin_edit = official_client.post(url, {"contest": candidate.contest_id, "name_en": "Changed", "ballot_order": 1})
    upload = official_client.post(
        reverse("admin:elections_candidate_import"),
        {
            "resource": "0",
            "election": published.pk,
            "format": "0",
            "import_file": SimpleUploadedFile(
                "c.csv", b"contest,ballot_order,name_en,name_ar\r\nmayor,1,Changed,x\r\n"
            ),
        },
    )
    candidate.name_en = "Changed"
    with pytest.raises(ConfigurationRefused, match="is certified"):
        services.change_candidate(candidate=candidate, actor=official)
    with pytest.raises(IntegrityError), transaction.atomic():
        candidate.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Candidate.objects.get(pk=candidate.pk).delete()

    assert admin_edit.status_code == 403
    assert "is certified" in str(upload.context["form"].errors["election"])
    assert Candidate.objects.get(pk=candidate.pk).name_en == "Amal Haddad"
    assert _snapshot(published) == before


def test_the_counting_method_of_an_open_election_stays_as_it_was(
    published: Election, official: User, django_capture_on_commit_callbacks
) -> None:
    published.counting_method = Election.CountingMethod.BALLOTS
    with pytest.raises(ConfigurationRefused, match="counting method"):
        services.change_election(election=published, actor=official)
    with pytest.raises(IntegrityError), transaction.atomic():
        Election.objects.filter(pk=published.pk).update(counting_method=Election.CountingMethod.BALLOTS)
    assert _snapshot(published)["election"]["counting_method"] == Election.CountingMethod.TALLY_SHEETS
