"""Builders shared by the results tests."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from ballots.tests.support import submit_sheet
from elections.models import Contest, PollingStation


def enter_sheet(
    *, station: PollingStation, contest: Contest, actor: User, votes: list[int], key: str, **extra: Any
) -> None:
    """Enter an accepted tally sheet whose votes are given in ballot order (the official's entries are accepted)."""
    submit_sheet(station=station, contest=contest, actor=actor, key=key, votes=votes, **extra)
