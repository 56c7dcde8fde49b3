"""Scenario 6, ASGI servers: scenarios 1 (fan-out) and 2 (pages) with VoteTracker under daphne, uvicorn and granian,
one process each, the same pinning; daphne, which `make run` serves with, is every figure's baseline. The fan-out run is
also a check of the live channel under each server: viewers on one node get every entry accepted through another
node of the same server, nothing lost."""

from __future__ import annotations

from typing import Any

from bench import fanout, pages
from bench.common import SERVER_KINDS, Result
from bench.feed import Feeder


def measure_kind(
    env: dict[str, str], feeder: Feeder, *, kind: str, viewers: int, updates: int, seconds: float
) -> dict[str, Any]:
    window, statuses = fanout.measure_votetracker(env, feeder, viewers=viewers, updates=updates, rate=2.0, kind=kind)
    live = window.figures()
    _cases, loads = pages.measure(env, feeder.election, seconds=seconds, kind=kind, baselines=False)
    live_ok = live["failed_to_connect"] == 0 and live["lost"] == 0 and live["deliveries"] > 0 and set(statuses) == {201}
    return {
        "live": live,
        "entry_statuses": statuses,
        "live_check_passed": live_ok,
        "pages": {name: vars(measured) for name, (measured, _baseline) in loads.items()},
    }


FIGURES: tuple[tuple[str, str, str], ...] = (
    ("deliveries/s", "/s", "live.deliveries_per_s"),
    ("p50 commit->receipt", "ms", "live.p50_ms"),
    ("p99 commit->receipt", "ms", "live.p99_ms"),
    ("memory / connection", "KiB", "live.rss_per_connection_kib"),
    ("server CPU / delivery", "µs", "live.server_cpu_us_per_delivery"),
    ("messages lost", "", "live.lost"),
    ("overview page requests/s", "/s", "pages.overview page.requests_per_s"),
    ("overview page p99", "ms", "pages.overview page.p99_ms"),
    ("JSON snapshot requests/s", "/s", "pages.JSON snapshot.requests_per_s"),
    ("JSON snapshot 304 requests/s", "/s", "pages.JSON snapshot 304.requests_per_s"),
)


def _pick(figures: dict[str, Any], path: str) -> float | None:
    section, key = path.split(".", 1)
    if section == "pages":
        case, field = key.rsplit(".", 1)
        value = figures["pages"].get(case, {}).get(field)
    else:
        value = figures[section].get(key)
    return None if value is None else float(value)


def run(
    env: dict[str, str], feeder: Feeder, *, viewers: int, updates: int, seconds: float, smoke: bool = False
) -> Result:
    # The smoke checks only the servers scenarios 1 and 2 do not already run (daphne).
    kinds = [kind for kind in SERVER_KINDS if not (smoke and kind == "daphne")]
    result = Result("asgi-servers", {"servers": kinds, "viewers": viewers, "updates": updates,
                                     "page_seconds_each": seconds, "processes": "one per server"})  # fmt: skip
    measured: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        try:
            measured[kind] = measure_kind(env, feeder, kind=kind, viewers=viewers, updates=updates, seconds=seconds)
        except Exception as error:  # noqa: BLE001 - one server failing must not hide the others' figures.
            result.notes.append(f"{kind} failed: {error!r}")
    base = measured.get("daphne")
    for kind, figures in measured.items():
        result.add(f"{kind}: live check", 1.0 if figures["live_check_passed"] else 0.0, "", target="1",
                   met=figures["live_check_passed"])  # fmt: skip
        for name, unit, path in FIGURES:
            result.add(f"{kind}: {name}", _pick(figures, path), unit, baseline=_pick(base, path) if base else None)
    # At a fixed update rate every server delivers about as much; what tells them apart is the CPU it costs.
    rankings = (
        ("fan-out (least CPU per delivery)", "live.server_cpu_us_per_delivery", False),
        ("overview page (most requests/s)", "pages.overview page.requests_per_s", True),
        ("JSON snapshot (most requests/s)", "pages.JSON snapshot.requests_per_s", True),
    )
    for label, path, higher in rankings:
        known = [kind for kind in measured if _pick(measured[kind], path) is not None]
        ranked = sorted(known, key=lambda kind: _pick(measured[kind], path) or 0.0, reverse=higher)
        if ranked:
            result.notes.append(f"fastest for {label}: {' > '.join(ranked)}")
    result.add("servers measured", len(measured), "", target=str(len(kinds)), met=len(measured) == len(kinds))
    result.details = measured
    result.notes.append("baseline of every figure: daphne, measured in the same run")
    return result
