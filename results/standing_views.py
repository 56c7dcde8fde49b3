"""A contest's standing as the results pages show it: the margin, the share of registered voters counted, who holds
the seats and whether they are elected yet, the seats per party, a measure's call, and the sentence a screen reader
hears when a card changes. Pure functions of the snapshot; the rules themselves are in ``results.standings``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from results.colours import darkened_to_contrast
from results.presentation import (
    Lookup,
    grouped_number,
    isolated,
    local_name,
    percent,
    points,
    shown_name,
)
from results.snapshot import SnapshotCandidate, SnapshotContest, SnapshotDistrictTally, SnapshotTally
from results.standings import (
    ELECTED,
    LEADING,
    TIED,
    is_official,
    measure_decided,
    outstanding_votes,
    registered_counted,
    seat_calls,
    seat_margin,
)


def scope_station_ids(lookup: Lookup, contest: SnapshotContest, tally: SnapshotTally) -> list[int]:
    """The contest's stations a tally covers: all of them, or those inside a district tally's district."""
    if "district_id" not in tally:
        return contest["station_ids"]
    return list(lookup.district_station_ids(contest).get(cast(SnapshotDistrictTally, tally)["district_id"], []))


def margin_view(contest: SnapshotContest, tally: SnapshotTally) -> dict[str, Any] | None:
    """The margin that decides the (last) seat, in votes and in percentage points of the valid votes, with the names
    on either side; ``tied`` when it is 0. None for a measure, before any vote, or with nobody outside the seats."""
    margin = seat_margin(contest, tally)
    if margin is None:
        return None
    by_id = {c["id"]: c for c in contest["candidates"]}
    return {
        "votes": margin.votes,
        "points": points(margin.share),
        "ahead": shown_name(by_id[margin.ahead])[0],
        "behind": shown_name(by_id[margin.behind])[0],
        "last_seat": margin.last_seat,
        "tied": margin.votes == 0,
    }


def registered_view(lookup: Lookup, contest: SnapshotContest, tally: SnapshotTally) -> dict[str, Any]:
    """How much of the tally's electorate is counted: registered voters at the stations reporting, as a share of
    the registered voters of all its stations; ``known`` False (with how many stations lack the figure) when a
    station's registered voters are unknown, since the share would be a guess."""
    counted = registered_counted(
        contest, lookup.stations, scope_station_ids(lookup, contest, tally), lookup.counted_station_ids(contest)
    )
    return {
        "known": counted.total is not None,
        "share": percent(counted.share),
        "total": counted.total,
        "counted": counted.counted,
        "unknown": counted.unknown,
    }


def _party_seats(lookup: Lookup, holders: list[dict[str, Any]], by_id: Mapping[int, SnapshotCandidate]) -> list[Any]:
    """Seats held now per party, most first; independents (and write-ins) counted as such."""
    seats: dict[str, dict[str, Any]] = {}
    for row in holders:
        candidate = by_id[row["id"]]
        party = lookup.party_of(candidate)
        if party is not None:
            key, name, colour = f"party-{party['id']}", local_name(party), darkened_to_contrast(party["colour"])
        elif candidate["is_write_in"]:
            key, name, colour = "write-in", _("Write-in"), None
        else:
            key, name, colour = "independent", _("Independent"), None
        entry = seats.setdefault(key, {"key": key, "name": name, "colour": colour, "seats": 0})
        entry["seats"] += 1
    return sorted(seats.values(), key=lambda entry: (-entry["seats"], entry["name"]))


def candidate_standing(lookup: Lookup, contest: SnapshotContest, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The standing of a contest between candidates over its whole scope: each row's ``call`` (elected, leading,
    tied) set in place, the seat holders in order, those tied for the last seat, the seats per party, the margin
    and what is still to be counted. "Elected" only when ``standings.seat_calls`` says the seat is decided."""
    totals = contest["totals"]
    official = is_official(lookup.snapshot)
    outstanding = outstanding_votes(contest, lookup.stations)
    calls = seat_calls(contest, totals, outstanding=outstanding, official=official)
    for row in rows:
        row["call"] = calls.get(row["id"], "")
    holders = [row for row in rows if row["call"] in (ELECTED, LEADING)]
    tied = [row for row in rows if row["call"] == TIED]
    by_id = {c["id"]: c for c in contest["candidates"]}
    multi = contest["seats"] > 1
    undecided = any(row["call"] != ELECTED for row in holders) or bool(tied)
    margin = margin_view(contest, totals)
    return {
        "multi": multi,
        "official": official,
        "holders": holders,
        "elected_names": [row["name"] for row in holders if row["call"] == ELECTED],
        "leading_names": [row["name"] for row in holders if row["call"] == LEADING],
        "tied_names": [row["name"] for row in tied],
        "tied_ids": [row["id"] for row in tied],
        "tied_seats": contest["seats"] - len(holders) if tied else 0,
        "party_seats": _party_seats(lookup, holders, by_id) if multi and holders else [],
        "margin": margin,
        "no_votes": not totals["valid_votes"],
        # Why nothing is called yet: what may still come in (unknown while a station's registered voters are).
        "show_outstanding": not official and undecided and outstanding.stations > 0 and bool(holders or tied),
        "outstanding_votes": outstanding.votes,
    }


def measure_call(lookup: Lookup, contest: SnapshotContest) -> dict[str, Any] | None:
    """A measure's outcome: "Passed" or "Failed" once decided (official, or certain whatever the votes still to be
    counted), "Passing" or "Failing" before; None for a contest between candidates."""
    if contest["kind"] != "measure":
        return None
    official = is_official(lookup.snapshot)
    outstanding = outstanding_votes(contest, lookup.stations)
    decided = measure_decided(contest, contest["totals"], outstanding=outstanding, official=official)
    passes = contest["passes"]
    if passes is None:
        state, label = "undecided", _("No votes yet")
    elif passes:
        state, label = "passes", _("Passed") if decided else _("Passing")
    else:
        state, label = "fails", _("Failed") if decided else _("Failing")
    return {
        "state": state,
        "label": label,
        "decided": decided,
        "show_outstanding": passes is not None and not decided and outstanding.stations > 0,
        "outstanding_votes": outstanding.votes,
    }


def _names(names: list[str]) -> str:
    return pgettext("between the names of a list", ", ").join(isolated(name) for name in names)


def update_note(card: dict[str, Any]) -> str:
    """What a screen reader hears when a live update changes the card: the contest, who leads (or is elected, or
    tied, or how a measure stands) and by how much, and how many stations report. The page reads it out through
    its one polite live region, never more than one at a time."""
    tally, standing, outcome = card["tally"], card.get("standing"), card.get("outcome")
    words = [_("Updated: %(contest)s.") % {"contest": isolated(card["name"])}]
    if outcome is not None:
        words.append(
            _("%(outcome)s, Yes %(share)s.") % {"outcome": outcome["label"], "share": tally["yes_share"]}
            if outcome["state"] != "undecided"
            else str(outcome["label"]) + "."
        )
    elif standing is not None:
        if standing["elected_names"]:
            words.append(_("Elected: %(names)s.") % {"names": _names(standing["elected_names"])})
        if standing["leading_names"]:
            words.append(_("Leading: %(names)s.") % {"names": _names(standing["leading_names"])})
        if standing["tied_names"]:
            tied = _("Tied for the last seat: %(names)s.") if standing["multi"] else _("Tied: %(names)s.")
            words.append(tied % {"names": _names(standing["tied_names"])})
        margin = standing["margin"]
        if margin and not margin["tied"]:
            words.append(
                ngettext("Margin: %(votes)s vote.", "Margin: %(votes)s votes.", margin["votes"])
                % {"votes": grouped_number(margin["votes"])}
            )
    words.append(
        ngettext(
            "%(reporting)s of %(total)s station reporting.",
            "%(reporting)s of %(total)s stations reporting.",
            tally["stations_total"],
        )
        % {"reporting": grouped_number(tally["stations_reporting"]), "total": grouped_number(tally["stations_total"])}
    )
    return " ".join(words)
