"""A contest's numbers as the results pages show them: its tallies as rows with shares, bars and votes per vote
type, a measure's outcome, its card, and its rows per district and per station.

Pure functions of the snapshot, like the rest of the presentation: a cached page and a broadcast fragment cost no
query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from ballots.models import TallySheet
from ballots.selectors import SheetVersion
from results.presentation import Lookup, is_inside, local_name, percent, scope_name, shown_name
from results.snapshot import (
    SnapshotCandidate,
    SnapshotCandidateTally,
    SnapshotContest,
    SnapshotStationResult,
    SnapshotTally,
)
from results.standing_views import candidate_standing, margin_view, measure_call, registered_view, update_note


def _candidate_row(
    lookup: Lookup, candidate: SnapshotCandidate, row: SnapshotCandidateTally, top: int
) -> dict[str, Any]:
    name, write_in_mark = shown_name(candidate)
    return {
        "id": row["id"],
        "name": name,
        "write_in": write_in_mark,
        "party": lookup.party_label(candidate),
        "colour": lookup.candidate_colour(candidate),
        "votes": row["votes"],
        "share": percent(row["share"]),
        "bar": round(100 * row["votes"] / top, 1) if top else 0,
        "leading": row["leading"],
        # A snapshot cached before ties were recorded has no such key.
        "tied": row.get("tied", False),
        # Leading, tied, or (on a contest's card, once decided: results.standings) elected.
        "call": "leading" if row["leading"] else "tied" if row.get("tied", False) else "",
        "by_type": row["by_type"],
    }


def _residuals(lookup: Lookup, tally: SnapshotTally) -> dict[str, bool]:
    """Which residual counts a tally shows: those the election counts, and any that is not zero."""
    election = lookup.snapshot["election"]
    return {
        "show_blank_invalid": election["counts_blank_and_invalid"] or bool(tally["blank"] or tally["invalid"]),
        "show_under_over": election["counts_undervotes_and_overvotes"]
        or bool(tally["undervotes"] or tally["overvotes"]),
    }


def tally_view(
    lookup: Lookup, contest: SnapshotContest, tally: SnapshotTally, *, single_station: bool = False
) -> dict[str, Any]:
    """One tally (a contest over the election, a district or ``single_station``) as rows with names, shares, bar
    lengths and votes per vote type. Candidates are ranked by votes; a measure's choices keep their order, Yes
    first, and nobody "leads" a measure."""
    by_id = {c["id"]: c for c in contest["candidates"]}
    measure = contest["kind"] == "measure"
    top = max((row["votes"] for row in tally["candidates"]), default=0)
    ranked = tally["candidates"]
    if not measure:
        ranked = sorted(ranked, key=lambda r: (-r["votes"], by_id[r["id"]]["ballot_order"]))
    rows = [_candidate_row(lookup, by_id[row["id"]], row, top) for row in ranked]
    if measure:
        rows = [{**row, "leading": False, "tied": False, "call": ""} for row in rows]
    types = lookup.vote_types
    split = bool(types) and all(len(row["by_type"]) == len(types) for row in rows)
    return {
        "rows": rows,
        "measure": measure,
        "yes_share": rows[0]["share"] if measure and rows else "",
        "vote_types": types if split else [],
        "type_totals": [sum(column) for column in zip(*(row["by_type"] for row in rows), strict=True)] if split else [],
        "valid_votes": tally["valid_votes"],
        "blank": tally["blank"],
        "invalid": tally["invalid"],
        "undervotes": tally["undervotes"],
        "overvotes": tally["overvotes"],
        **_residuals(lookup, tally),
        "ballots_cast": tally["ballots_cast"],
        "registered_voters": tally["registered_voters"],
        "turnout": percent(tally["turnout"]),
        "turnout_known": tally["turnout"] is not None,
        # Stations reported, but none of them with known registered voters: there is nothing to divide by.
        "registered_unknown": tally["turnout"] is None and tally["stations_reporting"] > 0,
        "stations_reporting": tally["stations_reporting"],
        "stations_total": tally["stations_total"],
        "leading_names": [r["name"] for r in rows if r["leading"]],
        "tied_names": [r["name"] for r in rows if r["tied"]],
        # Tied for the one seat, or for the last of several: the card's wording says which.
        "tie_for_last_seat": contest["seats"] > 1,
        "single_station": single_station,
        "margin": margin_view(contest, tally),
        # A station's own page gives its registered voters; a tally says how much of its electorate is counted.
        "registered": None if single_station else registered_view(lookup, contest, tally),
        # Where a contest's card gives the margin beside the leader, its facts leave it out.
        "margin_in_facts": True,
    }


def threshold_text(threshold: float | None) -> str:
    """The rule a measure passes by, in words."""
    if threshold is None:
        return _("Passes with more than half of the votes.")
    share = f"{threshold * 100:.2f}".rstrip("0").rstrip(".")
    return _("Passes with at least %(share)s%% of the votes.") % {"share": share}


def measure_outcome(lookup: Lookup, contest: SnapshotContest) -> dict[str, Any] | None:
    """Whether a measure passes on the votes so far ("Passing", "Failing"), or has passed or failed once that is
    decided ("Passed", "Failed": the results are official, or no vote still to be counted can change it; see
    ``results.standings``), and the rule it passes by; None for a contest between candidates."""
    call = measure_call(lookup, contest)
    if call is None:
        return None
    return {**call, "rule": threshold_text(contest["threshold"])}


def contest_card(lookup: Lookup, contest: SnapshotContest) -> dict[str, Any]:
    """A contest's summary: its tally over its whole scope with the standing (who leads or is elected, the margin,
    the seats per party), the quarantined stations listed apart, and the sentence read out when it changes."""
    quarantined = [
        {
            "code": lookup.stations[row["station_id"]]["code"],
            "name": local_name(lookup.stations[row["station_id"]]),
            "url": lookup.station_url(row["station_id"]),
            "reason": row["quarantine_reason"],
        }
        for row in contest["stations"]
        if row["quarantined"]
    ]
    tally = tally_view(lookup, contest, contest["totals"])
    outcome = measure_outcome(lookup, contest)
    standing = None if outcome else candidate_standing(lookup, contest, tally["rows"])
    tally["margin_in_facts"] = False
    card = {
        "part": f"contest-{contest['slug']}",
        "slug": contest["slug"],
        "name": local_name(contest),
        "seats": contest["seats"],
        "scope": scope_name(lookup, contest),
        "url": lookup.contest_url(contest),
        "tally": tally,
        "outcome": outcome,
        "standing": standing,
        "quarantined": quarantined,
    }
    card["update_note"] = update_note(card)
    return card


def district_rows(lookup: Lookup, contest: SnapshotContest) -> list[dict[str, Any]]:
    """Each district of the contest with its leaders, stations reporting and turnout."""
    rows = []
    for tally in contest["districts"]:
        view = tally_view(lookup, contest, tally)
        district = lookup.districts[tally["district_id"]]
        url = lookup.district_url(district["id"])
        rows.append({"code": district["code"], "name": local_name(district), "url": url, **view})
    return rows


def station_rows(lookup: Lookup, contest: SnapshotContest, district_id: int | None = None) -> list[dict[str, Any]]:
    """Every station of the contest (or of one district), reported or not, with its numbers and leader."""
    by_id = {c["id"]: c for c in contest["candidates"]}
    measure = contest["kind"] == "measure"
    reported = {row["station_id"]: row for row in contest["stations"]}
    rows = []
    voting = set(contest["station_ids"])
    for station in lookup.snapshot["stations"]:
        if station["id"] not in voting:
            continue
        if district_id is not None and not is_inside(lookup, station["district_id"], district_id):
            continue
        row = reported.get(station["id"])
        top = station_top(row, by_id) if row and not measure else None
        rows.append(
            {
                "code": station["code"],
                "name": local_name(station),
                "url": lookup.station_url(station["id"]),
                "registered_voters": station["registered_voters"],
                "reported": row is not None,
                "quarantined": bool(row and row["quarantined"]),
                "ballots_cast": row["ballots_cast"] if row else None,
                "votes": row["votes"] if row else [],
                "leader": top.name if top and not top.tied else "",
                "tied_names": top.tied if top else [],
                "yes_share": _yes_share(row["votes"]) if row and measure else "",
            }
        )
    return rows


class StationTop(NamedTuple):
    """Who has the most votes at a station: one name, or the names tied on the most votes (then ``name`` is empty)."""

    name: str
    tied: list[str]
    candidate: SnapshotCandidate | None


def station_top(row: SnapshotStationResult, by_id: Mapping[int, SnapshotCandidate]) -> StationTop | None:
    """The candidate a station's map dot and table row name, or those tied for it: two candidates on the most votes
    are shown as tied, never one of them as leading. None before any vote."""
    top = max(row["votes"], default=0)
    if top == 0:
        return None
    ids = [c["id"] for c in sorted(by_id.values(), key=lambda c: c["ballot_order"])]
    first = [cid for cid, n in zip(ids, row["votes"], strict=True) if n == top]
    if len(first) > 1:
        return StationTop("", [shown_name(by_id[cid])[0] for cid in first], None)
    return StationTop(shown_name(by_id[first[0]])[0], [], by_id[first[0]])


def _yes_share(votes: list[int]) -> str:
    """A measure's "Yes" (its first choice) over the votes for its choices."""
    return percent(votes[0] / sum(votes) if votes and sum(votes) else None)


def candidate_headers(contest: SnapshotContest) -> list[dict[str, Any]]:
    """The contest's candidates in ballot order as the columns of a table: name and whether to mark a write-in."""
    return [dict(zip(("name", "write_in"), shown_name(c), strict=True)) for c in contest["candidates"]]


def public_history(versions: list[SheetVersion], candidate_ids: list[int]) -> list[dict[str, Any]]:
    """A station's counted sheet versions (``selectors.list_public_sheet_history``) as the public reads them: when
    each was entered, its numbers, and a note from a fixed list, never the text a clerk typed. A quarantine's reason
    is shown, since a supervisor (or the ballots cross-check) writes it for the public."""
    rows = []
    for index, version in enumerate(versions):
        if version.status == TallySheet.Status.QUARANTINED:
            state = _("Quarantined: not counted")
        elif version.status == TallySheet.Status.ACCEPTED:
            state = _("Counted")
        else:
            state = _("Replaced by a correction")
        rows.append(
            {
                "entered_at": version.entered_at,
                "state": state,
                "note": _("Correction of an earlier count") if index else _("First count"),
                "quarantine_reason": version.quarantine_reason,
                "ballots_cast": version.numbers.ballots_cast,
                "undervotes": version.numbers.undervotes,
                "overvotes": version.numbers.overvotes,
                "votes": [version.numbers.votes.get(cid, 0) for cid in candidate_ids],
            }
        )
    return rows
