"""Fixtures for the elections tests: what the change hook hears while a test runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from elections.tests.support import ResultsChanges
from trust.changes import ResultsChangeHandler, register_results_handler, unregister_results_handler


@pytest.fixture
def results_changes() -> Iterator[ResultsChanges]:
    """Every results change noted while the test runs, inside the transaction and after commit."""
    heard = ResultsChanges()
    handler = ResultsChangeHandler(noted=heard.noted.append, committed=heard.committed.append)
    register_results_handler(handler)
    yield heard
    unregister_results_handler(handler)
