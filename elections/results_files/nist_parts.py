"""The parts of a NIST SP 1500-100 V2 report the reader needs: texts in a language, lists, kinds, reporting units
(which are stations, which county each lies in) and the count types used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elections.results_files import labels
from elections.results_files.model import FileVoteType


def text_of(value: Any) -> str:
    """The English text of an InternationalizedText (else its first), or a plain string as it is."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return ""
    texts = [t for t in value.get("Text") or [] if isinstance(t, Mapping)]
    english = [t for t in texts if str(t.get("Language", "")).lower().startswith("en")]
    chosen = (english or texts or [{}])[0]
    return str(chosen.get("Content", ""))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def sequence_order(selection: Mapping[str, Any]) -> int:
    order = selection.get("SequenceOrder")
    return order if isinstance(order, int) else 0


def type_name(item: Mapping[str, Any]) -> str:
    return str(item.get("@type", "")).rsplit(".", 1)[-1]


class Units:
    """The report's reporting units: which are stations (made of no other unit) and the county each lies in."""

    def __init__(self, report: Mapping[str, Any], scope: str) -> None:
        self.units = {str(u.get("@id")): u for u in as_list(report.get("GpUnit")) if isinstance(u, Mapping)}
        ranked: dict[str, tuple[int, str]] = {}
        for unit_id, unit in self.units.items():
            rank = self._county_rank(unit_id, unit, scope)
            for part in as_list(unit.get("ComposingGpUnitIds")):
                if str(part) not in ranked or rank < ranked[str(part)][0]:
                    ranked[str(part)] = (rank, unit_id)
        self.parent = {part: unit_id for part, (_rank, unit_id) in ranked.items()}

    @staticmethod
    def _county_rank(unit_id: str, unit: Mapping[str, Any], scope: str) -> int:
        """How well a unit that groups a station names its county: a county (or a district) best, the election's
        own unit last."""
        if unit_id == scope:
            return 2
        return 0 if unit.get("Type") == "county" or unit.get("OtherType") == "district" else 1

    def is_station(self, unit_id: str) -> bool:
        unit = self.units.get(unit_id)
        return unit is not None and not as_list(unit.get("ComposingGpUnitIds"))

    def name(self, unit_id: str) -> str:
        return text_of(self.units.get(unit_id, {}).get("Name")) or unit_id

    def identifiers(self, unit_id: str) -> tuple[str, ...]:
        found = as_list(self.units.get(unit_id, {}).get("ExternalIdentifier"))
        return tuple(str(item.get("Value")) for item in found if isinstance(item, Mapping) and item.get("Value"))


def vote_type_code(count: Mapping[str, Any]) -> str:
    kind = str(count.get("Type", ""))
    return str(count.get("OtherType") or kind) if kind == "other" else kind


def vote_types_of(election: Mapping[str, Any]) -> list[FileVoteType]:
    """Every count type other than "total" the report uses, in the order they first appear."""
    found: dict[str, FileVoteType] = {}
    for contest in as_list(election.get("Contest")):
        for selection in as_list(contest.get("ContestSelection")) if isinstance(contest, Mapping) else []:
            for count in as_list(selection.get("VoteCounts")) if isinstance(selection, Mapping) else []:
                code = vote_type_code(count) if isinstance(count, Mapping) else "total"
                if code and code != "total" and code not in found:
                    nist_type = str(count.get("Type"))
                    found[code] = FileVoteType(
                        code=labels.safe_code(code, limit=32),
                        name=labels.vote_type_name(code.replace("-", "_")),
                        nist_type=nist_type if nist_type in labels.VOTE_TYPE_COLUMNS.values() else "other",
                        column=code,
                    )
    return list(found.values())
