"""Refreshes of an election are spaced by what they cost, but never so far apart that an entry waits a second."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from results import refreshes


@pytest.fixture
def last_refresh() -> Iterator[dict[int, float]]:
    saved = dict(refreshes.last_refresh_seconds)
    yield refreshes.last_refresh_seconds
    refreshes.last_refresh_seconds.clear()
    refreshes.last_refresh_seconds.update(saved)


@pytest.mark.parametrize(
    ("took", "window"),
    [
        (None, 0.25),  # never refreshed in this process: the broadcast interval
        (0.01, 0.25),  # cheap refreshes: the broadcast interval
        (0.12, 0.36),  # three times their cost, so entries keep two thirds of the process
        (2.0, refreshes.MAX_REFRESH_WINDOW),  # slow ones: capped, an entry still shows within a second
    ],
)
def test_the_window_follows_the_cost_of_a_refresh_up_to_a_cap(
    settings, last_refresh: dict[int, float], took: float | None, window: float
) -> None:
    settings.RESULTS_BROADCAST_INTERVAL = 0.25
    last_refresh.pop(7, None)
    if took is not None:
        last_refresh[7] = took
    assert refreshes.refresh_window(7) == pytest.approx(window)
    assert refreshes.MAX_REFRESH_WINDOW <= 0.5
