"""Piped into `manage.py shell` in a replica: the demo election opened for entry with its results published, an API
token for the demo clerk (what postman/README.md asks for) and one for the official, and the polling stations and
election-wide single-choice contests the official may enter sheets for (none of the clerk's, which the Postman
collection uses). Prints them as one JSON line."""

import json

from django.contrib.auth.models import User

from elections.demo import DEMO_ELECTION_SLUG, seed_demo
from elections.models import Contest, Election
from elections.services import open_election, publish_results
from trust.tokens import activate_api_token, issue_api_token, offer_api_token

seed_demo(only_if_empty=True)
official = User.objects.get(username="official")
clerk = User.objects.get(username="clerk")
election = Election.objects.get(slug=DEMO_ELECTION_SLUG)
if election.status == Election.Status.DRAFT:
    election = open_election(election=election, actor=official)
if election.results_visibility == Election.Visibility.HIDDEN:
    election = publish_results(election=election, actor=official)
_pending, clerk_secret = activate_api_token(
    api_token=offer_api_token(user=clerk, name="docker-test", issued_by=official), user=clerk
)
_token, official_secret = issue_api_token(user=official, name="docker-test", issued_by=official)
contests = election.contests.filter(
    district=None, electoral_district=None, kind=Contest.Kind.CANDIDATES, max_choices=1
).order_by("position")
stations = election.stations.exclude(clerk_assignments__user=clerk).order_by("code")
slots = [
    {
        "station_id": station.pk,
        "contest_id": contest.pk,
        "candidates": list(contest.candidates.order_by("ballot_order").values_list("pk", flat=True)),
    }
    for contest in contests
    for station in stations
    if not contest.tally_sheets.filter(station=station).exists()
]
print(
    json.dumps(
        {
            "electionSlug": election.slug,
            "token": clerk_secret,
            "username": clerk.username,
            "password": "demo-clerk-2026",
            "officialToken": official_secret,
            "slots": slots,
        }
    )
)
