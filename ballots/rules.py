"""The rules an entry must pass: who may decide, when an election takes entries, what a contest, a ballot, a tally
sheet and a turnout report may hold. Each check raises a domain error naming the field at fault."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.contrib.auth.models import User
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.models import Ballot, StationCount, TurnoutReport
from ballots.selectors import Numbers
from elections.models import Candidate, Contest, Election, PollingStation, VoteType
from elections.selectors import contest_covers_station, supervises
from trust.errors import EntryRejected, NotAllowed

# A sheet's numbers, checked: ballots cast, blank, invalid, votes per candidate id and the rest.
SheetNumbers = Numbers
# Devices' clocks drift; a report a little ahead of the server's clock is still "now".
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def require_supervisor(user: User, station: PollingStation) -> None:
    if not supervises(user, station):
        raise NotAllowed(
            _("Only a supervisor of this district or an official can do this."), code="supervisor_required"
        )


def require_entry_window(user: User, station: PollingStation) -> bool:
    """Refuse unless the election takes entries; return True when this is a correction after closing."""
    election = station.election
    if election.status == Election.Status.OPEN:
        return False
    if election.status == Election.Status.CLOSED and supervises(user, station):
        return True
    raise EntryRejected(
        _("%(name)s does not accept entries: it is %(status)s.")
        % {"name": election.name, "status": election.get_status_display()},
        code="election_not_open",
        details={"field": "election"},
    )


def require_contest_at_station(contest: Contest, station: PollingStation) -> None:
    """The contest must belong to the station's election and be voted on there (its area holds the station)."""
    if not contest_covers_station(contest, station):
        raise EntryRejected(
            _("Contest “%(contest)s” is not voted on at polling station %(code)s.")
            % {"contest": contest.name, "code": station.code},
            code="contest_not_at_station",
            details={"field": "contest"},
        )


def counts_by(election: Election, *, ballots: bool) -> bool:
    """Whether ``election`` counts ballot by ballot (``ballots``) or, otherwise, with tally sheets."""
    return election.counting_method in {
        Election.CountingMethod.BOTH,
        Election.CountingMethod.BALLOTS if ballots else Election.CountingMethod.TALLY_SHEETS,
    }


def is_sheet_correction(*, election: Election, has_current_sheet: bool) -> bool:
    """A sheet entered where one already counts, or after entry closed, is a correction: it needs a reason."""
    return has_current_sheet or election.status != Election.Status.OPEN


def require_counting_method(station: PollingStation, *, ballots: bool) -> None:
    if not counts_by(station.election, ballots=ballots):
        message = (
            _("This election does not count ballot by ballot.")
            if ballots
            else _("This election does not use tally sheets.")
        )
        raise EntryRejected(message, code="counting_method", details={"field": "counting_method"})


def require_count_open(station: PollingStation, contest: Contest) -> None:
    """Ballots are added or voided only until the station's count for the contest is complete."""
    if StationCount.objects.filter(station=station, contest=contest, complete=True).exists():
        raise EntryRejected(
            _("The count of this station is complete. A supervisor must reopen it first."),
            code="count_complete",
            details={"field": "contest"},
        )


def clean_text(text: str, *, field: str = "reason") -> str:
    """Typed text, trimmed. PostgreSQL cannot store the NUL character, so it is refused here, naming the field."""
    if "\x00" in text:
        raise EntryRejected(
            _("This text contains a control character (NUL); remove it."),
            code="text_invalid",
            details={"field": field},
        )
    return text.strip()


def require_reason(reason: str) -> str:
    reason = clean_text(reason)
    if not reason:
        raise EntryRejected(_("Give a reason."), code="reason_required", details={"field": "reason"})
    return reason


def require_count(value: object, field: str) -> int:
    """A whole number, not negative."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise EntryRejected(_("Enter a whole number."), code="not_a_number", details={"field": field})
    if value < 0:
        raise EntryRejected(_("This cannot be negative."), code="negative", details={"field": field})
    return value


def validate_marks(contest: Contest, kind: str, marks: Sequence[int]) -> list[int]:
    """A ballot's marks, sorted: none on a blank or invalid ballot; on a marked one, each a candidate of the contest,
    once, and at most the contest's choices."""
    if kind not in Ballot.Kind.values:
        raise EntryRejected(
            _("Choose marked, blank or invalid."), code="ballot_kind_invalid", details={"field": "kind"}
        )
    marks = list(marks)
    if any(not isinstance(mark, int) or isinstance(mark, bool) for mark in marks):
        raise EntryRejected(_("Marks must be candidates."), code="marks_invalid", details={"field": "marks"})
    if kind != Ballot.Kind.MARKED:
        if marks:
            raise EntryRejected(
                _("A blank or invalid ballot has no marks."), code="marks_not_allowed", details={"field": "marks"}
            )
        return []
    if not marks:
        raise EntryRejected(_("Mark at least one candidate."), code="marks_missing", details={"field": "marks"})
    if len(set(marks)) != len(marks):
        raise EntryRejected(
            _("A candidate can be marked only once."), code="marks_duplicate", details={"field": "marks"}
        )
    if len(marks) > contest.max_choices:
        raise EntryRejected(
            _("This ballot marks %(count)d candidates; at most %(max)d are allowed.")
            % {"count": len(marks), "max": contest.max_choices},
            code="too_many_marks",
            details={"field": "marks", "max_choices": contest.max_choices},
        )
    known = set(Candidate.objects.filter(contest=contest, pk__in=marks).values_list("pk", flat=True))
    if known != set(marks):
        raise EntryRejected(
            _("A marked candidate does not stand in this contest."),
            code="candidate_not_in_contest",
            details={"field": "marks", "candidate_ids": sorted(set(marks) - known)},
        )
    return sorted(marks)


def list_vote_type_ids(election_id: int) -> dict[str, int]:
    """The election's vote types, id by code, in their order."""
    return dict(VoteType.objects.filter(election_id=election_id).values_list("code", "pk"))


def list_candidate_ids(contest: Contest) -> set[int]:
    # order_by(): a set needs no order, and the model's ordering would join the contest and the election.
    return set(contest.candidates.order_by().values_list("pk", flat=True))


def _clean_votes_by_type(
    types: Mapping[str, int], candidate_ids: set[int], votes_by_type: Mapping[int, Mapping[str, int]] | None
) -> dict[int, dict[int, int]]:
    """Per candidate id, votes per vote type id, complete: the election's every type (``types``, id by code) for
    every candidate. Empty when the election reports no vote types (and then none may be given)."""
    given = votes_by_type or {}
    if not types:
        if given:
            raise EntryRejected(
                _("This election does not report votes by type."),
                code="vote_types_not_used",
                details={"field": "votes_by_type"},
            )
        return {}
    unknown = sorted(set(given) - candidate_ids, key=str)
    if unknown:
        raise EntryRejected(
            _("A candidate on this sheet does not stand in this contest."),
            code="candidate_not_in_contest",
            details={"field": "votes_by_type", "candidate_ids": unknown},
        )
    clean: dict[int, dict[int, int]] = {}
    for candidate_id in sorted(candidate_ids):
        per_type = given.get(candidate_id)
        if not isinstance(per_type, Mapping):
            raise EntryRejected(
                _("Enter every candidate's votes for each vote type (0 if none): %(types)s.")
                % {"types": ", ".join(types)},
                code="votes_by_type_missing",
                details={"field": "votes_by_type", "candidate_id": candidate_id, "vote_types": list(types)},
            )
        strange = sorted(set(per_type) - set(types), key=str)
        missing = [code for code in types if code not in per_type]
        if strange or missing:
            raise EntryRejected(
                _("Vote types must be exactly those of the election: %(types)s.") % {"types": ", ".join(types)},
                code="vote_types_mismatch",
                details={
                    "field": "votes_by_type",
                    "candidate_id": candidate_id,
                    "unknown": strange,
                    "missing": missing,
                },
            )
        clean[candidate_id] = {types[code]: require_count(per_type[code], "votes_by_type") for code in types}
    return clean


def _require_counted(election: Election, *, blank: int, invalid: int, undervotes: int, overvotes: int) -> None:
    """A sheet gives only the kinds of unmarked and spoiled votes its election counts."""
    if not election.counts_blank_and_invalid and (blank or invalid):
        raise EntryRejected(
            _("This election counts undervotes and overvotes, not blank and invalid ballots."),
            code="blank_invalid_not_counted",
            details={"field": "blank" if blank else "invalid"},
        )
    if not election.counts_undervotes_and_overvotes and (undervotes or overvotes):
        raise EntryRejected(
            _("This election does not count undervotes and overvotes; enter blank and invalid ballots."),
            code="undervotes_overvotes_not_counted",
            details={"field": "undervotes" if undervotes else "overvotes"},
        )


def validate_sheet_numbers(
    *,
    station: PollingStation,
    contest: Contest,
    ballots_cast: int,
    blank: int,
    invalid: int,
    votes: Mapping[int, int] | None,
    undervotes: int = 0,
    overvotes: int = 0,
    votes_by_type: Mapping[int, Mapping[str, int]] | None = None,
    candidate_ids: set[int] | None = None,
    vote_types: Mapping[str, int] | None = None,
) -> SheetNumbers:
    """Check a sheet's numbers; the error names the field (``votes`` errors also name the candidate). Where the
    election reports vote types, ``votes_by_type`` gives each candidate's votes per type code and ``votes``, if
    given, must equal their sums. ``candidate_ids`` (the contest's) and ``vote_types`` (the election's, id by code)
    are read here unless the caller, checking many sheets, read them already."""
    ballots_cast = require_count(ballots_cast, "ballots_cast")
    blank = require_count(blank, "blank")
    invalid = require_count(invalid, "invalid")
    undervotes = require_count(undervotes, "undervotes")
    overvotes = require_count(overvotes, "overvotes")
    _require_counted(station.election, blank=blank, invalid=invalid, undervotes=undervotes, overvotes=overvotes)
    if candidate_ids is None:
        candidate_ids = list_candidate_ids(contest)
    if vote_types is None:
        vote_types = list_vote_type_ids(contest.election_id)
    by_type = _clean_votes_by_type(vote_types, candidate_ids, votes_by_type)
    if by_type and not votes:
        votes = {candidate_id: sum(per_type.values()) for candidate_id, per_type in by_type.items()}
    votes = votes or {}
    unknown = sorted(set(votes) - candidate_ids, key=str)
    if unknown:
        raise EntryRejected(
            _("A candidate on this sheet does not stand in this contest."),
            code="candidate_not_in_contest",
            details={"field": "votes", "candidate_ids": unknown},
        )
    clean: dict[int, int] = {}
    for candidate_id in sorted(candidate_ids):
        if candidate_id not in votes:
            raise EntryRejected(
                _("Enter the votes of every candidate (0 if none)."),
                code="votes_missing",
                details={"field": "votes", "candidate_id": candidate_id},
            )
        clean[candidate_id] = require_count(votes[candidate_id], "votes")
        if by_type and sum(by_type[candidate_id].values()) != clean[candidate_id]:
            raise EntryRejected(
                _("A candidate's votes must equal the sum of their votes by type."),
                code="votes_by_type_do_not_add_up",
                details={"field": "votes", "candidate_id": candidate_id},
            )
    registered = station.registered_voters
    if registered is not None and ballots_cast > registered:
        raise EntryRejected(
            _("Ballots cast (%(cast)d) cannot exceed the %(registered)d registered voters.")
            % {"cast": ballots_cast, "registered": registered},
            code="ballots_cast_above_registered",
            details={"field": "ballots_cast", "registered_voters": registered},
        )
    _require_adds_up(station.election, contest, ballots_cast, blank, invalid, undervotes, overvotes, clean)
    return Numbers(ballots_cast, blank, invalid, clean, undervotes, overvotes, by_type)


def _require_adds_up(
    election: Election,
    contest: Contest,
    cast: int,
    blank: int,
    invalid: int,
    undervotes: int,
    overvotes: int,
    votes: dict[int, int],
) -> None:
    if blank + invalid > cast:
        raise EntryRejected(
            _("Blank and invalid ballots together cannot exceed ballots cast."),
            code="sheet_does_not_add_up",
            details={"field": "ballots_cast"},
        )
    valid = cast - blank - invalid
    total = sum(votes.values())
    # With one choice per ballot the sheet must add up exactly; with more, each valid ballot gives up to max_choices
    # marks, and where undervotes and overvotes are counted, those fill the rest (conventions differ on overvotes).
    if contest.max_choices == 1 and total + undervotes + overvotes != valid:
        # The message names only the parts this election's sheets carry (blank and invalid, or undervotes and
        # overvotes), as the clerk's form shows them.
        parts = [_("Votes (%(n)d)") % {"n": total}]
        if election.counts_blank_and_invalid or blank or invalid:
            parts += [_("blank (%(n)d)") % {"n": blank}, _("invalid (%(n)d)") % {"n": invalid}]
        if election.counts_undervotes_and_overvotes or undervotes or overvotes:
            parts += [_("undervotes (%(n)d)") % {"n": undervotes}, _("overvotes (%(n)d)") % {"n": overvotes}]
        raise EntryRejected(
            _("%(parts)s must equal ballots cast (%(cast)d).") % {"parts": " + ".join(parts), "cast": cast},
            code="sheet_does_not_add_up",
            details={"field": "ballots_cast", "expected": total + blank + invalid + undervotes + overvotes},
        )
    over = [cid for cid, n in votes.items() if n > valid]
    if total > valid * contest.max_choices or over or total + undervotes + overvotes > cast * contest.max_choices:
        raise EntryRejected(
            _("There are more votes than the valid ballots allow."),
            code="sheet_does_not_add_up",
            details={"field": "votes", "candidate_ids": over},
        )


def require_entry_time(at: dt.datetime) -> dt.datetime:
    """``at`` in UTC, as it is stored. Refused when it has no time zone, or when the time in UTC falls outside the
    calendar (a year-1 time with a positive offset); an offset PostgreSQL cannot store (beyond ±15:59) is turned into
    plain UTC here instead of failing in the database."""
    if timezone.is_naive(at):
        raise EntryRejected(_("Give the time with its time zone."), code="time_invalid", details={"field": "at"})
    try:
        return at.astimezone(dt.UTC)
    except OverflowError:
        raise EntryRejected(
            _("This time is outside the calendar."), code="time_invalid", details={"field": "at"}
        ) from None


def validate_turnout(station: PollingStation, voters: int, at: dt.datetime) -> None:
    """Turnout is a whole number up to the registered voters, at a time not in the future, and never decreases."""
    voters = require_count(voters, "voters")
    if station.registered_voters is not None and voters > station.registered_voters:
        raise EntryRejected(
            _("Turnout (%(voters)d) cannot exceed the %(registered)d registered voters.")
            % {"voters": voters, "registered": station.registered_voters},
            code="turnout_above_registered",
            details={"field": "voters", "registered_voters": station.registered_voters},
        )
    at = require_entry_time(at)
    if at > timezone.now() + CLOCK_TOLERANCE:
        raise EntryRejected(_("Give a time that is not in the future."), code="time_invalid", details={"field": "at"})
    reports = TurnoutReport.objects.filter(station=station)
    earlier = reports.filter(at__lte=at).aggregate(most=Max("voters"))["most"]
    later = reports.filter(at__gt=at).aggregate(least=Min("voters"))["least"]
    if (earlier is not None and voters < earlier) or (later is not None and voters > later):
        raise EntryRejected(
            _("Turnout cannot decrease: %(earlier)s voters were already reported by this time.")
            % {"earlier": earlier if earlier is not None else later},
            code="turnout_decreasing",
            details={"field": "voters", "earlier": earlier, "later": later},
        )
