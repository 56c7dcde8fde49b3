"""Print a recount of an election, as ``manage.py verify_tallies`` makes it, as JSON: what the served snapshot must
equal (but for its version and times).

    DATABASE_URL=... REDIS_URL=... SECRET_KEY=... python -m chaos.recount SLUG
"""

from __future__ import annotations

import json
import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "votetracker.settings")
    django.setup()
    from elections.models import Election
    from results.services import current_version
    from results.tallies import build_snapshot

    election = Election.objects.get(slug=sys.argv[1])
    print(json.dumps(build_snapshot(election=election, version=current_version(election_id=election.pk))))


if __name__ == "__main__":
    main()
