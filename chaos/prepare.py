"""Load a chaos run's database: the demo election (open, results published), one clerk per station with an API
token, and a signed-in entry-site session.

    DATABASE_URL=... REDIS_URL=... SECRET_KEY=... python -m chaos.prepare --clerks 50

Migrates first; prints one JSON object (tokens included: these databases are thrown away after the run).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import django


def prepare(*, clerks: int) -> dict[str, Any]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from elections.demo import DEMO_ELECTION_SLUG, seed_demo
    from elections.models import ClerkAssignment, Contest, Election, PollingStation
    from elections.services import open_election, publish_results
    from results.services import refresh_tallies
    from trust.roles import CLERKS_GROUP
    from trust.tokens import activate_api_token, offer_api_token

    call_command("migrate", verbosity=0, interactive=False)
    seed_demo()
    official = User.objects.get(username="official")
    election = Election.objects.get(slug=DEMO_ELECTION_SLUG)
    election = open_election(election=election, actor=official)
    election = publish_results(election=election, actor=official)
    refresh_tallies(election_id=election.pk)
    # Contests held everywhere: every clerk's station votes in them.
    everywhere = list(
        Contest.objects.filter(election=election, district__isnull=True, electoral_district__isnull=True)
        .order_by("pk")
        .prefetch_related("candidates")
    )
    contests = [
        {"id": c.pk, "max_choices": c.max_choices, "candidates": sorted(x.pk for x in c.candidates.all())}
        for c in everywhere
    ]
    stations = list(PollingStation.objects.filter(election=election).order_by("code"))
    if clerks > len(stations):
        raise SystemExit(f"the demo has {len(stations)} stations, fewer than {clerks} clerks")
    group = Group.objects.get(name=CLERKS_GROUP)
    people: list[dict[str, Any]] = []
    for number, station in enumerate(stations[:clerks], start=1):
        # No password: clerks here use their token or a ready-made session (and hashing 50 would be slow).
        user = User.objects.create_user(username=f"chaos-clerk-{number:03d}", password=None)
        user.groups.add(group)
        ClerkAssignment.objects.create(user=user, station=station)
        # Issued by the official, activated by its clerk: nobody else ever holds a clerk's secret.
        _token, secret = activate_api_token(
            api_token=offer_api_token(user=user, name="chaos", issued_by=official), user=user
        )
        people.append(
            {
                "username": user.username,
                "token": secret,
                "station_id": station.pk,
                "registered": station.registered_voters,
            }
        )
    # A session of the first clerk, as the entry site's login would make it.
    first = User.objects.get(username=people[0]["username"])
    session = SessionStore()
    session[SESSION_KEY] = str(first.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = first.get_session_auth_hash()
    session.create()
    return {
        "slug": election.slug,
        "election_id": election.pk,
        "contests": contests,
        "clerks": people,
        "session_key": session.session_key,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clerks", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "votetracker.settings")
    django.setup()
    print(json.dumps(prepare(clerks=args.clerks)))


if __name__ == "__main__":
    main()
