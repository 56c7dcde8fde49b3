"""Importing district boundaries and station positions: through the service (all or nothing, audited, a re-import
changes nothing) and through the admin's preview and confirm, like the spreadsheet imports."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from elections.admin.boundaries import _kept_key
from elections.boundary_stamps import boundary_stamp_key, get_boundary_stamp
from elections.models import DistrictBoundary, Election, PollingStation
from elections.services import BoundariesRefused, ConfigurationRefused, import_boundaries
from elections.tests.geojson import collection, feature, north_and_south, point, polygon, square, wiggly_ring
from elections.tests.support import ResultsChanges, events_since, last_event_id
from trust.audit import find_chain_breaks
from trust.errors import NotAllowed
from trust.models import AuditEvent

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:elections_district_import_boundaries"
BAD = collection(
    feature("N", polygon(square(35.90, 31.95, 0.05))),
    feature("S", polygon([[35.9, 31.9], [36.0, 32.0], [36.0, 31.9], [35.9, 32.0], [35.9, 31.9]])),
    feature("N-001", point(35.925, 31.975)),
    feature("X-9", point(35.925, 31.975)),
)


def stored(election: Election) -> dict[str, tuple[list, tuple[float, float, float, float], int]]:
    return {
        b.district.code: (b.coordinates, (b.west, b.south, b.east, b.north), b.positions)
        for b in DistrictBoundary.objects.filter(district__election=election).select_related("district")
    }


def position_of(election: Election, code: str) -> tuple[Decimal | None, Decimal | None]:
    station = PollingStation.objects.get(election=election, code=code)
    return station.latitude, station.longitude


# --- the service ------------------------------------------------------------------------------------------------


def test_a_file_loads_outlines_and_positions_with_an_event_for_each_and_one_for_the_file(
    election: Election, official: User
) -> None:
    first = last_event_id()
    plan = import_boundaries(election=election, data=north_and_south(), actor=official, file_name="riverland.geojson")

    assert plan.counts["new"] == 2
    boundaries = stored(election)
    assert set(boundaries) == {"N", "S"}
    assert boundaries["N"][1] == (35.9, 31.95, 35.95, 32.0)
    assert boundaries["N"][0] == [[[[35.9, 31.95], [35.95, 31.95], [35.95, 32.0], [35.9, 32.0], [35.9, 31.95]]]]
    assert position_of(election, "N-001") == (Decimal("31.975000"), Decimal("35.925000"))
    actions = [event.action for event in events_since(first)]
    assert actions == [
        "districtboundary.create",
        "districtboundary.create",
        "pollingstation.change",
        "election.boundaries_import",
    ]
    summary = AuditEvent.objects.get(action="election.boundaries_import")
    assert summary.actor_name == "official"
    assert summary.election_id == election.pk
    assert summary.after is not None
    assert summary.after["file_name"] == "riverland.geojson"
    assert summary.after["sha256"] == plan.sha256
    assert (summary.after["new"], summary.after["stations_moved"]) == (2, 1)
    # The outline's event names its digest and size, not its coordinates.
    created = AuditEvent.objects.filter(action="districtboundary.create").first()
    assert created is not None
    assert created.after is not None
    assert set(created.after) == {"digest", "positions", "source_positions", "bbox"}
    assert find_chain_breaks() is None


def test_importing_the_same_file_again_changes_nothing_and_writes_no_event(election: Election, official: User) -> None:
    import_boundaries(election=election, data=north_and_south(), actor=official)
    before = list(DistrictBoundary.objects.order_by("pk").values())
    first = last_event_id()

    again = import_boundaries(election=election, data=north_and_south(), actor=official)

    assert not again.changes_something
    assert (again.counts["unchanged"], again.counts["stations_unchanged"]) == (2, 1)
    assert list(DistrictBoundary.objects.order_by("pk").values()) == before
    assert events_since(first) == []


def test_a_file_with_one_bad_feature_writes_nothing_and_names_every_problem(election: Election, official: User) -> None:
    with pytest.raises(BoundariesRefused) as refused:
        import_boundaries(election=election, data=BAD, actor=official)

    assert refused.value.details["problems"] == [
        "Feature 2 (code “S”): ring 1 crosses itself (its segments 1 and 3).",
        "Feature 4 (code “X-9”): no polling station of “Test Election” has this code.",
    ]
    assert not DistrictBoundary.objects.exists()
    assert position_of(election, "N-001") == (None, None)
    assert not AuditEvent.objects.exists()


def test_a_code_the_election_does_not_have_is_named(election: Election, official: User) -> None:
    content = collection(feature("N", polygon(square(35.9, 31.9, 0.1))), feature("Q", polygon(square(35, 31, 0.1))))
    with pytest.raises(BoundariesRefused) as refused:
        import_boundaries(election=election, data=content, actor=official)
    assert refused.value.details["problems"] == ["Feature 2 (code “Q”): no district of “Test Election” has this code."]


def test_a_changed_outline_replaces_the_stored_one_with_its_before_and_after(
    election: Election, official: User
) -> None:
    import_boundaries(election=election, data=north_and_south(), actor=official)
    first = last_event_id()
    bigger = collection(
        feature("N", polygon(square(35.90, 31.95, 0.08))), feature("S", polygon(square(35.90, 31.90, 0.05)))
    )

    plan = import_boundaries(election=election, data=bigger, actor=official)

    assert (plan.counts["new"], plan.counts["changed"], plan.counts["unchanged"]) == (0, 1, 1)
    assert stored(election)["N"][1] == (35.9, 31.95, 35.98, 32.03)
    change = next(event for event in events_since(first) if event.action == "districtboundary.change")
    assert change.before is not None
    assert change.after is not None
    assert change.before["bbox"] == [35.9, 31.95, 35.95, 32.0]
    assert change.after["bbox"] == [35.9, 31.95, 35.98, 32.03]
    assert change.before["digest"] != change.after["digest"]


def test_a_detailed_outline_is_simplified_once_at_import(election: Election, official: User) -> None:
    detailed = collection(feature("N", polygon(wiggly_ring(35.9, 31.95, 0.05, 2000))))
    plan = import_boundaries(election=election, data=detailed, actor=official)
    boundary = DistrictBoundary.objects.get(district__code="N", district__election=election)
    assert boundary.source_positions == 8001
    assert 4 <= boundary.positions < boundary.source_positions
    assert plan.tolerance == pytest.approx(0.05 * 1.02 * 1e-4, rel=0.05)
    ring = boundary.coordinates[0][0]
    assert ring[0] == ring[-1]


def test_the_results_are_noted_as_changed_once_after_the_import(
    election: Election, official: User, results_changes: ResultsChanges, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        import_boundaries(election=election, data=north_and_south(), actor=official)
    assert [change.election_id for change in results_changes.committed] == [election.pk]


def test_only_an_official_may_import_and_never_into_a_certified_election(
    election: Election, official: User, clerk: User
) -> None:
    with pytest.raises(NotAllowed):
        import_boundaries(election=election, data=north_and_south(), actor=clerk)
    Election.objects.filter(pk=election.pk).update(status=Election.Status.CERTIFIED)
    with pytest.raises(ConfigurationRefused) as refused:
        import_boundaries(election=election, data=north_and_south(), actor=official)
    assert refused.value.code == "election_certified"
    assert not DistrictBoundary.objects.exists()


def test_the_database_keeps_a_certified_elections_boundaries_final(election: Election, official: User) -> None:
    import_boundaries(election=election, data=north_and_south(), actor=official)
    Election.objects.filter(pk=election.pk).update(status=Election.Status.CERTIFIED)
    boundary = DistrictBoundary.objects.get(district__code="N", district__election=election)
    boundary.north = 33.0
    with pytest.raises(IntegrityError), transaction.atomic():
        boundary.save()


# --- the admin ---------------------------------------------------------------------------------------------------


def upload(client: Client, content: bytes, *, election: Election, code_property: str = "") -> TestResponse:
    return client.post(
        reverse(IMPORT_URL),
        {
            "election": election.pk,
            "code_property": code_property,
            "boundary_file": SimpleUploadedFile("boundaries.geojson", content, content_type="application/geo+json"),
        },
    )


def confirm(client: Client, preview: TestResponse) -> TestResponse:
    return client.post(reverse(IMPORT_URL), preview.context["confirm_form"].initial, follow=True)


def messages_of(response: TestResponse) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_district_list_offers_the_boundary_import(official_client: Client, election: Election) -> None:
    html = official_client.get(reverse("admin:elections_district_changelist")).content.decode()
    assert reverse(IMPORT_URL) in html
    assert "Import boundaries" in html


def test_a_boundary_file_is_previewed_then_loaded_on_confirm(official_client: Client, election: Election) -> None:
    page = official_client.get(reverse(IMPORT_URL))
    assert page.status_code == 200

    preview = upload(official_client, north_and_south(), election=election)

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "2 district boundaries: 2 new, 0 changed, 0 unchanged; 1 polling station position: 1 set or moved" in html
    assert "confirm_form" in preview.context
    assert not DistrictBoundary.objects.exists()
    assert not AuditEvent.objects.exists()

    done = confirm(official_client, preview)

    assert done.redirect_chain[-1][0].startswith(reverse("admin:elections_district_changelist"))
    assert messages_of(done) == [
        "Boundaries loaded into “Test Election”: 2 district boundaries: 2 new, 0 changed, 0 unchanged; 1 polling "
        "station position: 1 set or moved, 0 unchanged."
    ]
    assert set(stored(election)) == {"N", "S"}
    assert AuditEvent.objects.get(action="election.boundaries_import").actor_name == "official"


def test_a_bad_file_is_refused_with_every_bad_feature_named_and_no_confirm(
    official_client: Client, election: Election
) -> None:
    preview = upload(official_client, BAD, election=election)

    assert preview.status_code == 422
    assert "confirm_form" not in preview.context
    assert preview.context["problems"] == [
        "Feature 2 (code “S”): ring 1 crosses itself (its segments 1 and 3).",
        "Feature 4 (code “X-9”): no polling station of “Test Election” has this code.",
    ]
    assert 'id="boundary-problems"' in preview.content.decode()
    assert not DistrictBoundary.objects.exists()


def test_an_oversized_file_gets_a_clear_form_error(official_client: Client, election: Election, settings) -> None:
    settings.BOUNDARY_FILE_MAX_BYTES = 100
    response = upload(official_client, north_and_south(), election=election)
    assert response.status_code == 422
    assert [m.replace("\xa0", " ") for m in response.context["form"].errors["boundary_file"]] == [
        "The file is larger than 100 bytes, the most a boundary file may be. Simplify the boundaries first."
    ]


def test_uploading_the_same_file_again_offers_nothing_to_confirm(official_client: Client, election: Election) -> None:
    confirm(official_client, upload(official_client, north_and_south(), election=election))
    preview = upload(official_client, north_and_south(), election=election)
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    assert preview.context["nothing_to_do"] is True
    assert "2 district boundaries: 0 new, 0 changed, 2 unchanged" in preview.content.decode()


def test_the_codes_may_come_from_a_property_the_form_names(official_client: Client, election: Election) -> None:
    content = collection(
        {"type": "Feature", "properties": {"WARD": "N"}, "geometry": polygon(square(35.9, 31.95, 0.05))}
    )
    preview = upload(official_client, content, election=election, code_property="ward")
    confirm(official_client, preview)
    assert set(stored(election)) == {"N"}


def test_a_confirm_after_the_upload_expired_asks_for_the_file_again(
    official_client: Client, election: Election
) -> None:
    preview = upload(official_client, north_and_south(), election=election)
    cache.delete(_kept_key(preview.context["confirm_form"].initial["sha256"]))
    response = confirm(official_client, preview)
    assert messages_of(response) == ["The uploaded file is no longer available. Upload it again."]
    assert not DistrictBoundary.objects.exists()


def test_a_confirm_once_the_election_is_certified_is_refused(official_client: Client, election: Election) -> None:
    preview = upload(official_client, north_and_south(), election=election)
    Election.objects.filter(pk=election.pk).update(status=Election.Status.CERTIFIED)
    response = confirm(official_client, preview)
    assert messages_of(response) == [
        "“Test Election” is certified: its districts, stations, parties and candidates can no longer change."
    ]
    assert not DistrictBoundary.objects.exists()


@pytest.mark.parametrize("altered", [{"election": "999999"}, {"sha256": "not-a-digest"}])
def test_an_altered_confirm_page_gets_a_message(
    official_client: Client, election: Election, altered: dict[str, str]
) -> None:
    preview = upload(official_client, north_and_south(), election=election)
    data = {**preview.context["confirm_form"].initial, **altered}
    response = official_client.post(reverse(IMPORT_URL), data, follow=True)
    assert response.status_code == 200
    assert messages_of(response)
    assert not DistrictBoundary.objects.exists()


def test_staff_without_the_change_district_permission_may_not_import(client: Client, election: Election) -> None:
    viewer = User.objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_district"))
    client.force_login(viewer)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert upload(client, north_and_south(), election=election).status_code == 403
    assert not DistrictBoundary.objects.exists()


def test_an_import_stamps_the_boundaries_for_readers_and_a_lost_stamp_is_counted_again(
    election: Election, official: User, django_capture_on_commit_callbacks
) -> None:
    cache.delete(boundary_stamp_key(election.pk))  # an earlier test's, for an election that had the same id
    assert get_boundary_stamp(election_id=election.pk) == "none"
    with django_capture_on_commit_callbacks(execute=True):
        import_boundaries(election=election, data=north_and_south(), actor=official)
    stamp = cache.get(boundary_stamp_key(election.pk))
    assert stamp is not None
    assert stamp.startswith("2-")
    cache.delete(boundary_stamp_key(election.pk))
    assert get_boundary_stamp(election_id=election.pk) == stamp
    with django_capture_on_commit_callbacks(execute=True):
        import_boundaries(
            election=election, data=collection(feature("N", polygon(square(35.9, 31.9, 0.2)))), actor=official
        )
    assert get_boundary_stamp(election_id=election.pk) not in (stamp, "none")


def test_problems_are_listed_in_the_order_of_the_features_whatever_found_them(
    election: Election, official: User
) -> None:
    content = collection(
        feature("Q", polygon(square(35.0, 31.0, 0.1))),
        feature("N", polygon([[35.9, 31.9], [36.0, 32.0], [36.0, 31.9], [35.9, 32.0], [35.9, 31.9]])),
    )
    with pytest.raises(BoundariesRefused) as refused:
        import_boundaries(election=election, data=content, actor=official)
    assert [problem.split(":")[0] for problem in refused.value.details["problems"]] == [
        "Feature 1 (code “Q”)",
        "Feature 2 (code “N”)",
    ]
