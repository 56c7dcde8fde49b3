"""The resource of an election's electoral districts, whose rows list their members: districts and polling stations
named by their codes in one cell each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from import_export import fields

from elections import services
from elections.models import District, ElectoralDistrict, PollingStation
from elections.resources.base import ElectionResource
from elections.resources.cells import ElectionCodesWidget


class MembersField(fields.Field):
    """A column of many-to-many members. The configuration service writes them with their object, so importing the
    column only reads them (``ElectoralDistrictResource.import_field``)."""


class ElectoralDistrictResource(ElectionResource):
    """Electoral districts: ``code``, ``name``, ``name_ar``, ``districts`` and ``stations``, the codes of the districts
    (each with every station inside it, at any depth) and of the further polling stations voting in it, separated by
    ``;`` with or without spaces: ``N; S-1``. Its districts and stations must be in the election already.

    A file without the ``districts`` or ``stations`` column keeps the members an existing electoral district has.
    """

    districts = MembersField(attribute="districts", column_name="districts", widget=ElectionCodesWidget(District))
    stations = MembersField(attribute="stations", column_name="stations", widget=ElectionCodesWidget(PollingStation))
    required_columns = ("code", "name")
    prefetched = ("districts", "stations")

    class Meta:
        model = ElectoralDistrict
        fields = ("code", "name", "name_ar", "districts", "stations")
        import_order = fields
        export_order = fields
        import_id_fields = ("code",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The members the row being imported gives, by field: read from its cells, written by the service.
        self.row_members: dict[str, list[Any]] = {}

    def iter_queryset(self, queryset: Any) -> Iterator[ElectoralDistrict]:
        # The admin exports the rows its list shows: read their members in a few queries, not two per row.
        if isinstance(queryset, QuerySet):
            queryset = queryset.prefetch_related(*self.prefetched)
        yield from super().iter_queryset(queryset)

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        self.row_members = {}
        super().before_import_row(row, **kwargs)

    def import_field(
        self, field: fields.Field, instance: Any, row: dict[str, Any], is_m2m: bool = False, **kwargs: Any
    ) -> None:
        if not isinstance(field, MembersField):
            super().import_field(field, instance, row, is_m2m, **kwargs)
        elif field.column_name in row:
            self.row_members[field.attribute] = field.clean(row, **kwargs)

    def skip_row(
        self,
        instance: ElectoralDistrict,
        original: ElectoralDistrict,
        row: dict[str, Any],
        import_validation_errors: dict[str, Any] | None = None,
    ) -> bool:
        if import_validation_errors or original.pk is None:
            return False
        for name, members in self.row_members.items():
            stored = set(getattr(original, name).values_list("pk", flat=True))
            if {member.pk for member in members} != stored:
                return False
        return all(
            field.get_value(instance) == field.get_value(original)
            for field in self.get_import_fields()
            if not isinstance(field, MembersField)
        )

    def save_through_service(self, instance: ElectoralDistrict, *, is_create: bool) -> None:
        if is_create:
            services.create_electoral_district(
                electoral_district=instance,
                districts=self.row_members.get("districts", []),
                stations=self.row_members.get("stations", []),
                actor=self.actor,
                client_address=self.client_address,
            )
        else:
            services.change_electoral_district(
                electoral_district=instance,
                districts=self.row_members.get("districts"),
                stations=self.row_members.get("stations"),
                actor=self.actor,
                client_address=self.client_address,
            )
