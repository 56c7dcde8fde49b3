"""The change hook: how an app that writes says "the results of election E changed" without knowing who listens.

The elections and ballots apps call ``note_results_changed`` inside the transaction that makes a change; the results
app, which builds on them, registers its handler in its ``AppConfig.ready``. The handler hears of the change twice:
at once, inside the transaction (``noted``: results marks its snapshot as behind, so a refresh lost with a crashed
process is noticed by the next reader), and after the commit (``committed``: recount and broadcast). A rolled-back
write never reaches ``committed``. This is the shape of Zulip's ``send_event_on_commit``: the writer names what
changed, one place far above decides what that means for the viewers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction


@dataclass(frozen=True)
class ResultsChange:
    """An election whose public results may have changed."""

    election_id: int
    election_slug: str


@dataclass(frozen=True)
class ResultsChangeHandler:
    noted: Callable[[ResultsChange], None]
    committed: Callable[[ResultsChange], None]


_handlers: list[ResultsChangeHandler] = []


def register_results_handler(handler: ResultsChangeHandler) -> None:
    """Listen to every results change from now on (call from ``AppConfig.ready``; registering twice is harmless)."""
    if handler not in _handlers:
        _handlers.append(handler)


def unregister_results_handler(handler: ResultsChangeHandler) -> None:
    """Stop listening (tests that listen for a while); a handler that is not registered is ignored."""
    if handler in _handlers:
        _handlers.remove(handler)


def note_results_changed(*, election_id: int, election_slug: str) -> None:
    """Say, inside the writing transaction, that the results of this election change when it commits."""
    change = ResultsChange(election_id=election_id, election_slug=election_slug)
    for handler in _handlers:
        handler.noted(change)
        transaction.on_commit(partial(handler.committed, change))
