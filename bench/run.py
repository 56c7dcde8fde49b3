"""``python -m bench``: run every scenario, bounded in time and aimed at 127.0.0.1 only, write
``bench/results/<name>.json`` for each and print one summary table. ``--smoke`` runs each at a tiny size."""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable

from bench.common import Result, machine, raise_file_limit, summary_table
from bench.prepare import environment, flush_redis, recreate_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vtbench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"
SCENARIOS = ("fanout", "pages", "entry", "entry-batch", "commit", "storm", "servers", "embedded", "node")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds in all (for `make test`)")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run only these scenarios")
    parser.add_argument("--viewers", type=int, action="append", help="fan-out sizes (default 1000, 5000, 10000)")
    parser.add_argument("--browser-viewers", type=int, action="append",
                        help="fan-out sizes with the browser-like client (default 5000)")  # fmt: skip
    parser.add_argument("--crowd", type=int, default=5000, help="viewers in commit, storm, servers (default 5000)")
    parser.add_argument("--embedded-viewers", type=int, default=1000, help="embedded fan-out size (default 1000)")
    parser.add_argument("--node-viewers", type=int, action="append",
                        help="fan-out sizes on a node of one process per core (default 10000, 20000)")  # fmt: skip
    parser.add_argument("--storm-server", choices=("daphne", "uvicorn", "granian"), default="uvicorn",
                        help="the server the storm restarts (default uvicorn, as the image runs it)")  # fmt: skip
    parser.add_argument("--updates", type=int, default=20, help="updates per fan-out run (default 20, at 2/s)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each HTTP load run (default 5)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    args = parser.parse_args(argv)
    if args.smoke:
        viewers, updates, seconds, crowd, embedded_viewers = [20], 4, 1.0, 20, 20
        browser_viewers = node_viewers = [20]
        # The smoke's database is the benchmark's, suffixed: vtbench_smoke by default.
        database_url = args.database_url + "_smoke"
    else:
        viewers, updates, seconds = args.viewers or [1000, 5000, 10000], args.updates, args.seconds
        browser_viewers = args.browser_viewers or [5000]
        node_viewers = args.node_viewers or [10000, 20000]
        crowd, embedded_viewers = args.crowd, args.embedded_viewers
        database_url = args.database_url
    scenarios = args.only or list(SCENARIOS)

    env = environment(database_url, args.redis_url)
    os.environ.update(env)
    raise_file_limit()
    started = time.monotonic()
    recreate_database(database_url)
    flush_redis(args.redis_url)

    import django

    django.setup()
    from bench import commit, embedded, entry, entry_batch, fanout, node, pages, servers, storm
    from bench.feed import Feeder
    from bench.prepare import seed

    election = seed()
    if args.smoke:
        fanout.SETTLE_SECONDS = commit.SETTLE_SECONDS = 1.0
    feeder = Feeder(election)
    info = machine()
    steps: list[tuple[str, Callable[[], Result]]] = []
    if "fanout" in scenarios:
        for n in viewers:
            steps.append((f"fanout-{n}", functools.partial(fanout.run, env, feeder, viewers=n, updates=updates)))
        steps.append(
            (
                f"fanout-slow-{crowd}",
                functools.partial(
                    fanout.run,
                    env,
                    feeder,
                    viewers=crowd,
                    # Two read cycles; a slow viewer's 18 s pause (36 updates at 2/s) takes it past the server's
                    # limit of unacknowledged updates, so the server conflates it.
                    updates=max(updates * 4, 16),
                    slow_share=0.1,
                    slow_cycle=2.0 if args.smoke else 20.0,
                ),
            )
        )
        for n in browser_viewers:
            steps.append(
                (
                    f"fanout-browser-{n}",
                    functools.partial(fanout.run, env, feeder, viewers=n, updates=updates, client="browser"),
                )
            )
    if "pages" in scenarios:
        steps.append(("pages", lambda: pages.run(env, election, seconds=seconds)))
    if "entry" in scenarios:
        steps.append(("entry", lambda: entry.run(env, feeder, seconds=seconds * 2, smoke=args.smoke)))
    if "entry-batch" in scenarios:
        steps.append(("entry-batch", lambda: entry_batch.run(env, feeder, seconds=seconds * 2, smoke=args.smoke)))
    if "commit" in scenarios:
        steps.append((f"commit-{crowd}", lambda: commit.run(env, feeder, viewers=crowd, seconds=seconds * 2)))
    if "storm" in scenarios:
        steps.append(
            (f"storm-{crowd}", lambda: storm.run(env, feeder, viewers=crowd, kind=args.storm_server, smoke=args.smoke))
        )
    if "servers" in scenarios:
        steps.append(
            (
                "asgi-servers",
                lambda: servers.run(env, feeder, viewers=crowd, updates=updates, seconds=seconds, smoke=args.smoke),
            )
        )
    if "embedded" in scenarios:
        steps.append((f"fanout-embedded-{embedded_viewers}",
                      lambda: embedded.run(env, viewers=embedded_viewers, updates=updates)))  # fmt: skip
    if "node" in scenarios:
        steps.append(("node-pages", lambda: node.run_pages(env, election, seconds=seconds)))
        for n in node_viewers:
            steps.append(
                (f"node-fanout-{n}", functools.partial(node.run_fanout, env, feeder, viewers=n, updates=updates))
            )
    results: list[Result] = []
    failed: list[str] = []
    for name, step in steps:
        print(f"running {name} …", file=sys.stderr, flush=True)
        step_started = time.monotonic()
        try:
            result = step()
        except Exception as error:  # noqa: BLE001 - one broken scenario must not hide the others' figures.
            print(f"{name} failed: {error!r}", file=sys.stderr)
            failed.append(name)
            continue
        result.parameters["smoke"] = args.smoke
        print(f"{name}: {time.monotonic() - step_started:.0f} s", file=sys.stderr, flush=True)
        result.write(info)
        results.append(result)
    print(summary_table(results))
    print(f"\n{info['cores']} cores, {info['memory_mib']} MiB; results in bench/results/; "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip
    for result in results:
        for note in result.notes:
            print(f"{result.name}: {note}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
