"""How configuration writes tell the public results that an election changed: once per object, or once per election
for a whole block of writes (an import)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from elections.models import Election
from trust.changes import note_results_changed

# Elections whose results change, held until the end of a ``one_results_note_per_election`` block.
_held_notes: ContextVar[set[tuple[int, str]] | None] = ContextVar("configuration_notes", default=None)


@contextmanager
def one_results_note_per_election(*, note: bool = True) -> Iterator[None]:
    """Inside this block the configuration writes note each election's results change once, when the block ends
    without an error, instead of once per object (an import of thousands of stations would otherwise note it
    thousands of times). Use it inside the writing transaction; ``note=False`` notes nothing (a dry run). Inside
    another such block (a boundary import while the demo is seeded), the outer block notes for both."""
    if note and _held_notes.get() is not None:
        yield
        return
    held: set[tuple[int, str]] = set()
    token = _held_notes.set(held)
    try:
        yield
    finally:
        _held_notes.reset(token)
    if note:
        for election_id, slug in sorted(held):
            note_results_changed(election_id=election_id, election_slug=slug)


def note_elections_changed(elections: Iterable[Election]) -> None:
    """Note that the public results of ``elections`` change: now, or at the end of the enclosing block."""
    held = _held_notes.get()
    for election_id, slug in sorted({(election.pk, election.slug) for election in elections}):
        if held is None:
            note_results_changed(election_id=election_id, election_slug=slug)
        else:
            held.add((election_id, slug))
