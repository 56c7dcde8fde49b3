"""The resources of an election's configuration: one per kind of object a file can hold, each written through the
configuration service of its model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from import_export import fields

from elections import services
from elections.models import Candidate, Contest, District, ElectoralDistrict, Party, PollingStation, VoteType
from elections.resources.base import ElectionResource
from elections.resources.cells import ChoiceWidget, ElectionKeyWidget


class DistrictResource(ElectionResource):
    """Districts: ``code``, ``name``, ``name_ar``, ``parent`` (the code of the district it lies in, or empty).

    A parent must be in the election already or on an earlier row; exports list parents before their children.
    """

    parent = fields.Field(attribute="parent", column_name="parent", widget=ElectionKeyWidget(District, "code"))
    required_columns = ("code", "name")
    related = ("parent",)

    class Meta:
        model = District
        fields = ("code", "name", "name_ar", "parent")
        import_order = fields
        export_order = fields
        import_id_fields = ("code",)

    def iter_queryset(self, queryset: Any) -> Iterator[District]:
        districts = list(queryset)
        by_id = {district.pk: district for district in districts}
        depths: dict[int, int] = {}

        def depth(district: District) -> int:
            if district.pk not in depths:
                parent = by_id.get(district.parent_id) if district.parent_id else None
                # The guard value stops a walk around a cycle, which the model refuses anyway.
                depths[district.pk] = len(by_id)
                depths[district.pk] = 0 if parent is None else depth(parent) + 1
            return depths[district.pk]

        # sorted() is stable: within one depth the districts keep the order they were asked for in.
        return iter(sorted(districts, key=depth))

    def save_through_service(self, instance: District, *, is_create: bool) -> None:
        write = services.create_district if is_create else services.change_district
        write(district=instance, actor=self.actor, client_address=self.client_address)


class PollingStationResource(ElectionResource):
    """Polling stations: ``code``, ``name``, ``name_ar``, ``district`` (its code), ``registered_voters`` (empty when
    unknown), ``latitude`` and ``longitude`` (both or neither)."""

    district = fields.Field(attribute="district", column_name="district", widget=ElectionKeyWidget(District, "code"))
    required_columns = ("code", "name", "district", "registered_voters")
    related = ("district",)

    class Meta:
        model = PollingStation
        fields = ("code", "name", "name_ar", "district", "registered_voters", "latitude", "longitude")
        import_order = fields
        export_order = fields
        import_id_fields = ("code",)

    def save_through_service(self, instance: PollingStation, *, is_create: bool) -> None:
        write = services.create_station if is_create else services.change_station
        write(station=instance, actor=self.actor, client_address=self.client_address)


class PartyResource(ElectionResource):
    """Parties: ``abbreviation``, ``name``, ``name_ar`` and ``colour`` (#RRGGBB)."""

    required_columns = ("abbreviation", "name")

    class Meta:
        model = Party
        fields = ("abbreviation", "name", "name_ar", "colour")
        import_order = fields
        export_order = fields
        import_id_fields = ("abbreviation",)

    def save_through_service(self, instance: Party, *, is_create: bool) -> None:
        write = services.create_party if is_create else services.change_party
        write(party=instance, actor=self.actor, client_address=self.client_address)


class VoteTypeResource(ElectionResource):
    """Vote types: ``code``, ``name``, ``name_ar``, ``nist_type`` (``election-day``, ``early``, ``absentee``,
    ``absentee-mail``, ``absentee-in-person``, ``provisional``, ``uocava`` or ``other``, the default) and
    ``position``. They load only into a draft election."""

    nist_type = fields.Field(
        attribute="nist_type", column_name="nist_type", widget=ChoiceWidget(VoteType._meta.get_field("nist_type"))
    )
    required_columns = ("code", "name")

    class Meta:
        model = VoteType
        fields = ("code", "name", "name_ar", "nist_type", "position")
        import_order = fields
        export_order = fields
        import_id_fields = ("code",)

    def save_through_service(self, instance: VoteType, *, is_create: bool) -> None:
        write = services.create_vote_type if is_create else services.change_vote_type
        write(vote_type=instance, actor=self.actor, client_address=self.client_address)


class ContestResource(ElectionResource):
    """Contests: ``slug``, ``name``, ``name_ar``, ``kind`` (``candidates``, the default, or ``measure``),
    ``district`` or ``electoral_district`` (a code; both empty for the whole election), ``seats``, ``max_choices``,
    ``threshold`` (measures only: the share “Yes” needs, empty for more than half) and ``position``."""

    kind = fields.Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Contest._meta.get_field("kind")))
    district = fields.Field(attribute="district", column_name="district", widget=ElectionKeyWidget(District, "code"))
    electoral_district = fields.Field(
        attribute="electoral_district",
        column_name="electoral_district",
        widget=ElectionKeyWidget(ElectoralDistrict, "code"),
    )
    required_columns = ("slug", "name")
    related = ("district", "electoral_district")

    class Meta:
        model = Contest
        fields = (
            "slug",
            "name",
            "name_ar",
            "kind",
            "district",
            "electoral_district",
            "seats",
            "max_choices",
            "threshold",
            "position",
        )
        import_order = fields
        export_order = fields
        import_id_fields = ("slug",)

    def save_through_service(self, instance: Contest, *, is_create: bool) -> None:
        write = services.create_contest if is_create else services.change_contest
        write(contest=instance, actor=self.actor, client_address=self.client_address)


class CandidateResource(ElectionResource):
    """Candidates: ``contest`` (its slug), ``ballot_order``, ``name_en``, ``name_ar`` (may be empty), ``party`` (its
    abbreviation; empty for an independent) and ``is_write_in`` (``yes`` for a line of written-in votes, else ``no``
    or empty). A candidate is known by its contest and ballot order; a measure's choices are “Yes” (ballot order 1)
    and “No” (2)."""

    contest = fields.Field(attribute="contest", column_name="contest", widget=ElectionKeyWidget(Contest, "slug"))
    party = fields.Field(attribute="party", column_name="party", widget=ElectionKeyWidget(Party, "abbreviation"))
    required_columns = ("contest", "ballot_order", "name_en")
    election_lookup = "contest__election"
    related = ("contest", "party")

    class Meta:
        model = Candidate
        fields = ("contest", "ballot_order", "name_en", "name_ar", "party", "is_write_in")
        import_order = fields
        export_order = fields
        import_id_fields = ("contest", "ballot_order")

    def save_through_service(self, instance: Candidate, *, is_create: bool) -> None:
        write = services.create_candidate if is_create else services.change_candidate
        write(candidate=instance, actor=self.actor, client_address=self.client_address)
