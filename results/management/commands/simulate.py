"""``manage.py simulate --election SLUG --rate N [--duration S]``: enter plausible results through the services."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max

from ballots.models import TallySheet, TurnoutReport
from ballots.services import report_turnout, submit_tally_sheet
from elections.demo import DEMO_ELECTION_SLUGS
from elections.demo_data import DEMO_CLERK_USERNAME
from elections.models import ClerkAssignment, Contest, Election, PollingStation
from elections.selectors import list_contest_station_ids
from elections.services import open_election, publish_results
from trust.errors import DomainError
from trust.tokens import issue_api_token, revoke_api_tokens


def plan_sheet(
    rng: random.Random,
    station: PollingStation,
    contest: Contest,
    weights: dict[int, float],
    *,
    vote_types: Sequence[str] = (),
    undervotes_and_overvotes: bool = False,
) -> dict[str, Any]:
    """Numbers that add up: a turnout of 35–80 %, a few blank and invalid ballots (or undervotes and overvotes,
    where the election counts those), votes spread by ``weights`` and, where the election reports vote types, each
    candidate's votes split among them."""
    # A station whose registered voters are unknown is simulated as a middling one.
    cast = int((station.registered_voters or 800) * rng.uniform(0.35, 0.8))
    blank = rng.randint(0, max(1, cast // 50))
    invalid = rng.randint(0, max(1, cast // 40))
    valid = max(0, cast - blank - invalid)
    ids = list(weights)
    votes = dict.fromkeys(ids, 0)
    for candidate_id in rng.choices(ids, weights=[weights[i] for i in ids], k=valid) if ids else []:
        votes[candidate_id] += 1
    sheet: dict[str, Any] = {"ballots_cast": blank + invalid + sum(votes.values()), "votes": votes}
    if undervotes_and_overvotes:
        sheet.update(blank=0, invalid=0, undervotes=blank, overvotes=invalid)
    else:
        sheet.update(blank=blank, invalid=invalid)
    if vote_types:
        sheet["votes_by_type"] = {candidate_id: _split(rng, n, vote_types) for candidate_id, n in votes.items()}
    return sheet


def _split(rng: random.Random, votes: int, vote_types: Sequence[str]) -> dict[str, int]:
    """``votes`` shared among ``vote_types`` at random, most of them on the first."""
    shares = dict.fromkeys(vote_types, 0)
    for code in rng.choices(list(vote_types), weights=[3] + [1] * (len(vote_types) - 1), k=votes):
        shares[code] += 1
    return shares


class EntryRefused(Exception):
    """The server refused an entry sent through the API; the message is its error message."""


def post_entry(*, base_url: str, token: str, path: str, body: dict[str, Any]) -> None:
    """Send one entry to a running server's entry API, as a counting centre's device would."""
    request = urllib.request.Request(  # noqa: S310 - the operator names the server to feed
        f"{base_url.rstrip('/')}/api/v1/entry/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": f"simulate-{uuid.uuid4()}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310
            return
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {error.code}"
        raise EntryRefused(message) from error


# The demo night tells the same story on every run: the same weights, the same leader, the same numbers in turn.
DEFAULT_SEED = 2026


class Command(BaseCommand):
    help = (
        "Enter tally sheets and turnout reports for an election at a steady rate, as a demo official would. The same "
        "--seed on the same election enters the same numbers in the same order. In the demo's elections the stations "
        f"of the demo clerk ({DEMO_CLERK_USERNAME!r}) are left for that clerk to enter unless --include-all is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", required=True, metavar="SLUG")
        parser.add_argument("--rate", type=float, required=True, help="entries per second")
        parser.add_argument("--duration", type=float, default=30.0, help="seconds to run (default 30)")
        parser.add_argument(
            "--sheets",
            type=int,
            default=None,
            metavar="N",
            help="stop after N tally sheets, or at the end of --duration if that comes first",
        )
        parser.add_argument("--user", default="official", help="who enters (default: the demo official)")
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="random seed (default %(default)s): the same seed on the same election gives the same candidates' "
            "weights, the same leader and the same numbers in the same order",
        )
        parser.add_argument("--publish", action="store_true", help="open the election and publish its results first")
        skipping = parser.add_mutually_exclusive_group()
        skipping.add_argument(
            "--skip-assigned-to",
            action="append",
            default=None,
            metavar="USERNAME",
            help="leave alone the polling stations assigned to this clerk, so that they can enter them by hand; "
            "may be given more than once (default: the demo clerk in the demo's elections, nobody elsewhere)",
        )
        skipping.add_argument(
            "--include-all",
            action="store_true",
            help="enter results for every polling station, the demo clerk's included",
        )
        parser.add_argument(
            "--url",
            default=None,
            help="send the entries through the entry API of the server at this address (e.g. http://127.0.0.1:8000) "
            "instead of writing them here; needed in embedded mode, where only the server's process can tell its "
            "viewers",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rate"] <= 0:
            raise CommandError("--rate must be above 0.")
        if options["sheets"] is not None and options["sheets"] <= 0:
            raise CommandError("--sheets must be above 0.")
        election = Election.objects.filter(slug=options["election"]).first()
        if election is None:
            raise CommandError(f"No election with the slug {options['election']!r}.")
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}; run `manage.py seed_demo` for the demo accounts.")
        skipped = self._skipped_stations(election, options["skip_assigned_to"], include_all=options["include_all"])
        if options["publish"]:
            if election.status == Election.Status.DRAFT:
                election = open_election(election=election, actor=user)
            if election.results_visibility == Election.Visibility.HIDDEN:
                election = publish_results(election=election, actor=user)
        rng = random.Random(options["seed"])  # noqa: S311 - made-up demo numbers, not secrets
        weights, pairs = self._plan(rng, election, skipped)
        sheet, turnout_report, finish = self._senders(user=user, base_url=options["url"])
        began = time.monotonic()
        entered, refused = self._enter(
            rng,
            election,
            pairs,
            weights,
            send_sheet=sheet,
            send_turnout=turnout_report,
            interval=1.0 / options["rate"],
            deadline=began + options["duration"],
            most=options["sheets"],
        )
        finish()
        self.stdout.write(f"Entered {entered} tally sheets ({refused} refused) in {time.monotonic() - began:.0f} s.")
        if skipped:
            codes = ", ".join(sorted(PollingStation.objects.filter(pk__in=skipped).values_list("code", flat=True)))
            self.stdout.write(f"Left alone, for their clerk to enter: {codes}.")

    def _skipped_stations(self, election: Election, usernames: list[str] | None, *, include_all: bool) -> set[int]:
        """The stations no sheet is entered for: those of the clerks named, or by default the demo clerk's."""
        if include_all:
            return set()
        if usernames is None:
            usernames = [DEMO_CLERK_USERNAME] if election.slug in DEMO_ELECTION_SLUGS else []
        else:
            unknown = set(usernames) - set(
                User.objects.filter(username__in=usernames).values_list("username", flat=True)
            )
            if unknown:
                raise CommandError(f"No user {', '.join(sorted(unknown))!r} to leave stations to.")
        return set(
            ClerkAssignment.objects.filter(user__username__in=usernames, station__election=election).values_list(
                "station_id", flat=True
            )
        )

    def _plan(
        self, rng: random.Random, election: Election, skipped: set[int]
    ) -> tuple[dict[int, dict[int, float]], list[tuple[PollingStation, Contest]]]:
        """Each contest's candidates' weights, drawn first so the leader depends on the seed alone, and the station
        and contest pairs to enter, in a shuffled order."""
        # Explicit orders: the seed must meet the rows in the same order on every database.
        stations = list(
            PollingStation.objects.filter(election=election).select_related("election", "district").order_by("code")
        )
        contests = list(
            Contest.objects.filter(election=election).order_by("position", "slug").prefetch_related("candidates")
        )
        if not stations or not contests:
            raise CommandError("The election has no polling stations or no contests.")
        weights = {
            c.pk: {cand.pk: rng.uniform(0.5, 3.0) for cand in sorted(c.candidates.all(), key=lambda x: x.ballot_order)}
            for c in contests
        }
        scopes = list_contest_station_ids(election_id=election.pk)
        pairs = [(s, c) for s in stations for c in contests if s.pk in scopes[c.pk] and s.pk not in skipped]
        if not pairs:
            raise CommandError("Every polling station of the election is left alone; nothing to enter.")
        rng.shuffle(pairs)
        return weights, pairs

    def _enter(
        self,
        rng: random.Random,
        election: Election,
        pairs: list[tuple[PollingStation, Contest]],
        weights: dict[int, dict[int, float]],
        *,
        send_sheet: Callable[[PollingStation, Contest, dict[str, Any], str], None],
        send_turnout: Callable[[PollingStation, int], None],
        interval: float,
        deadline: float,
        most: int | None,
    ) -> tuple[int, int]:
        """Enter one sheet every ``interval`` seconds, going round ``pairs`` (corrections after the first round),
        until ``deadline`` or ``most`` sheets; return how many were entered and refused."""
        vote_types = list(election.vote_types.order_by("position", "code").values_list("code", flat=True))
        entered = refused = 0
        counted = set(
            TallySheet.objects.filter(station__election=election, status__in=TallySheet.CURRENT_STATUSES).values_list(
                "station_id", "contest_id"
            )
        )
        turnout: dict[int, int] = dict(
            TurnoutReport.objects.filter(station__election=election)
            .values("station_id")
            .annotate(most=Max("voters"))
            .values_list("station_id", "most")
        )
        index = 0
        while time.monotonic() < deadline and (most is None or index < most):
            started = time.monotonic()
            station, contest = pairs[index % len(pairs)]
            index += 1
            numbers = plan_sheet(
                rng,
                station,
                contest,
                weights[contest.pk],
                vote_types=vote_types,
                undervotes_and_overvotes=election.counts_undervotes_and_overvotes,
            )
            try:
                reason = "Recount at the counting centre" if (station.pk, contest.pk) in counted else ""
                send_sheet(station, contest, numbers, reason)
                # Turnout only grows: a station reports again only when more voters than before have voted.
                if numbers["ballots_cast"] > turnout.get(station.pk, -1):
                    turnout[station.pk] = numbers["ballots_cast"]
                    send_turnout(station, numbers["ballots_cast"])
                counted.add((station.pk, contest.pk))
                entered += 1
            except (DomainError, EntryRefused) as error:
                refused += 1
                self.stderr.write(f"{station.code}/{contest.slug}: {error}")
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
        return entered, refused

    def _senders(
        self, *, user: User, base_url: str | None
    ) -> tuple[
        Callable[[PollingStation, Contest, dict[str, Any], str], None],
        Callable[[PollingStation, int], None],
        Callable[[], None],
    ]:
        """How entries are made: through the services here, or through a running server's API with a token that is
        issued for this run and revoked at its end."""
        if base_url is None:

            def sheet_here(station: PollingStation, contest: Contest, numbers: dict[str, Any], reason: str) -> None:
                submit_tally_sheet(
                    station=station,
                    contest=contest,
                    actor=user,
                    idempotency_key=f"simulate-{uuid.uuid4()}",
                    reason=reason,
                    **numbers,
                )

            def turnout_here(station: PollingStation, voters: int) -> None:
                report_turnout(station=station, voters=voters, actor=user, idempotency_key=f"simulate-{uuid.uuid4()}")

            return sheet_here, turnout_here, lambda: None

        api_token, secret = issue_api_token(user=user, name="manage.py simulate", issued_by=user)

        def sheet_there(station: PollingStation, contest: Contest, numbers: dict[str, Any], reason: str) -> None:
            body = {"station_id": station.pk, "contest_id": contest.pk, "reason": reason, **numbers}
            body["votes"] = {str(candidate): count for candidate, count in numbers["votes"].items()}
            post_entry(base_url=base_url, token=secret, path="tally-sheets", body=body)

        def turnout_there(station: PollingStation, voters: int) -> None:
            post_entry(
                base_url=base_url, token=secret, path="turnout", body={"station_id": station.pk, "voters": voters}
            )

        def revoke() -> None:
            revoke_api_tokens(tokens=[api_token], revoked_by=user)

        return sheet_there, turnout_there, revoke
