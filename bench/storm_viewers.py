"""Viewers that behave as the results page script (static/js/results-live.js) does when their server goes away:
reconnect after ``random() * min(30 s, 1 s * 2 ** attempt) + 250 ms``, where ``attempt`` counts the closes (a refused
connection is a close too) since the last open; reconnect naming the version they hold (``?version=``) and take the
catch-up frame that follows a newer hello; reload the page's version from the server only when no catch-up frame
comes within the script's wait, or an update does not follow on from the version held.

    python -m bench.storm_viewers --url ws://127.0.0.1:PORT/ws/results/SLUG/ --viewers N --out FILE

Prints ``ready <connected> <failed>`` once every viewer is connected, then reads the newest version from standard
input and records until every viewer is connected again and holds it (or ``--max-seconds``), writes FILE, exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from bench.common import raise_file_limit
from bench.viewers import PREFIX

PAGE_VERSION = re.compile(rb'data-results-live[^>]*data-version="(\d+)"')
# The page script's wait for a catch-up frame after a hello newer than its version (CATCH_UP_WAIT), in seconds.
CATCH_UP_WAIT = 5.0


def backoff(attempt: int, rng: random.Random, scale: float = 1.0) -> float:
    """The page script's delay before reconnecting, in seconds: exponential with full jitter, plus 250 ms (all of it
    times ``scale``, which only the smoke run lowers, to stay short)."""
    return (rng.random() * min(30.0, 1.0 * 2**attempt) + 0.25) * scale


@dataclass
class Viewer:
    version: int = 0
    connected: bool = False
    dropped_at: float | None = None
    accepted_at: float | None = None
    newest_at: float | None = None
    attempts: int = 0
    refused: int = 0
    refetches: int = 0
    refetch_failures: int = 0
    refetching: asyncio.Task[None] | None = field(default=None, repr=False)
    ack_every: int = 1
    unacknowledged: int = 0
    catch_ups: int = 0
    waiting: asyncio.Task[None] | None = field(default=None, repr=False)


class Storm:
    def __init__(self, args: argparse.Namespace) -> None:
        self.url = args.url
        parts = urlsplit(args.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.page = "/results/" + parts.path.rstrip("/").rsplit("/", 1)[-1] + "/"
        self.origin = f"http://{self.host}:{self.port}"
        self.viewers = [Viewer() for _ in range(args.viewers)]
        self.newest: int | None = None
        self.done = asyncio.Event()
        self.rng = random.Random(2026)  # noqa: S311 - jitter, not a secret
        self.scale = float(args.backoff_scale)
        self.failures: Counter[str] = Counter()

    async def wait_done(self) -> None:
        """Poll rather than check on every message: a scan of every viewer per message would cost N squared."""
        while not all(v.connected and v.version >= (self.newest or 0) for v in self.viewers):
            await asyncio.sleep(0.05)
        self.done.set()

    def hold(self, viewer: Viewer, version: int) -> None:
        viewer.version = max(viewer.version, version)
        if self.newest is not None and viewer.version >= self.newest and viewer.newest_at is None:
            viewer.newest_at = time.time()

    async def open(self, version: int | None = None) -> ClientConnection | None:
        url = self.url if version is None else f"{self.url}?version={version}"
        try:
            # Firefox gives up an opening handshake after 20 s (network.websocket.timeout.open); so do these viewers.
            return await connect(url, origin=Origin(self.origin), compression=None, max_size=None,
                                 ping_interval=None, open_timeout=20, close_timeout=1)  # fmt: skip
        except (OSError, InvalidHandshake, TimeoutError) as error:
            self.failures[type(error).__name__] += 1
            return None

    async def refetch(self, viewer: Viewer) -> None:
        """GET the page as the script does and take the version it shows; after a failure try again with the
        script's backoff, until one succeeds or the run is over."""
        failures = 0
        while not self.done.is_set():
            viewer.refetches += 1
            version = await self.get_page_version()
            if version is not None:
                self.hold(viewer, version)
                return
            viewer.refetch_failures += 1
            failures += 1
            await asyncio.sleep(backoff(failures, self.rng, self.scale))

    async def get_page_version(self) -> int | None:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            writer.write(f"GET {self.page} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: text/html\r\n"
                         "Connection: close\r\n\r\n".encode())  # fmt: skip
            body = await asyncio.wait_for(reader.read(), 60)
            writer.close()
        except (OSError, TimeoutError):
            return None
        found = PAGE_VERSION.search(body)
        if found is None or not body.startswith(b"HTTP/1.1 200"):
            return None
        return int(found.group(1))

    async def await_catch_up(self, viewer: Viewer, hello: int) -> None:
        """As the page: reload over HTTP only if the catch-up frame has not come within the wait."""
        await asyncio.sleep(CATCH_UP_WAIT * self.scale)
        if viewer.version < hello:
            self.start_refetch(viewer)

    def start_refetch(self, viewer: Viewer) -> None:
        if viewer.refetching is None or viewer.refetching.done():
            viewer.refetching = asyncio.create_task(self.refetch(viewer))

    async def listen(self, viewer: Viewer, ws: ClientConnection, first: bool) -> None:
        async for message in ws:
            text = message if isinstance(message, str) else message.decode()
            if text.startswith(('{"type": "hello"', '{"type":"hello"')):
                greeting = json.loads(text)
                hello = int(greeting["version"])
                viewer.ack_every, viewer.unacknowledged = max(1, int(greeting.get("ack_every", 1))), 0
                if first:
                    viewer.version = hello
                    return  # The initial connection: the storm starts when the driver says so.
                viewer.accepted_at = viewer.accepted_at or time.time()
                viewer.connected = True
                if hello > viewer.version:
                    viewer.waiting = asyncio.create_task(self.await_catch_up(viewer, hello))
                continue
            update = PREFIX.match(text)
            if update is not None:
                version, previous = int(update.group(1)), int(update.group(2))
                if text.endswith('"full":true}'):  # a catch-up frame: every part whole, whatever the page held
                    viewer.catch_ups += 1
                    self.hold(viewer, version)
                elif previous == viewer.version:
                    self.hold(viewer, version)
                elif version > viewer.version:
                    self.start_refetch(viewer)
                viewer.unacknowledged += 1
                if viewer.unacknowledged >= viewer.ack_every:  # as often as the hello asks, like the page
                    await ws.send(f'{{"ack": {version}}}')
                    viewer.unacknowledged = 0

    async def watch(self, viewer: Viewer, ws: ClientConnection) -> None:
        """From the first close on, reconnect as the page does until the run is over."""
        attempt = 0
        while True:
            with contextlib.suppress(ConnectionClosed):
                await self.listen(viewer, ws, first=False)
            viewer.connected = False
            viewer.dropped_at = viewer.dropped_at or time.time()
            while not self.done.is_set():
                attempt += 1
                await asyncio.sleep(backoff(attempt, self.rng, self.scale))
                viewer.attempts += 1
                opened = await self.open(viewer.version)
                if opened is not None:
                    ws, attempt = opened, 0
                    break
                viewer.refused += 1
            else:
                return


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_file_limit()
    storm = Storm(args)
    gate = asyncio.Semaphore(100)

    async def first(viewer: Viewer) -> ClientConnection | None:
        async with gate:
            ws = await storm.open()
            if ws is not None:
                await storm.listen(viewer, ws, first=True)
            return ws

    sockets = await asyncio.gather(*(first(v) for v in storm.viewers))
    pairs = [(v, ws) for v, ws in zip(storm.viewers, sockets, strict=True) if ws is not None]
    storm.viewers = [v for v, _ws in pairs]
    tasks = [asyncio.create_task(storm.watch(v, ws)) for v, ws in pairs]
    print(f"ready {len(pairs)} {args.viewers - len(pairs)}", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    storm.newest = int(line.strip() or 0)
    for viewer in storm.viewers:
        storm.hold(viewer, viewer.version)
    finished = True
    try:
        await asyncio.wait_for(storm.wait_done(), args.max_seconds)
    except TimeoutError:
        finished = False
    storm.done.set()
    for task in tasks + [v.waiting for v in storm.viewers if v.waiting is not None]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    keys = ("version", "connected", "dropped_at", "accepted_at", "newest_at", "attempts", "refused", "refetches",
            "refetch_failures", "catch_ups")  # fmt: skip
    return {
        "finished": finished,
        "failed_first_connect": args.viewers - len(pairs),
        "newest": storm.newest,
        "connect_failures": dict(storm.failures),
        "viewers": [{key: getattr(v, key) for key in keys} for v in storm.viewers],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--viewers", type=int, required=True)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--backoff-scale", type=float, default=1.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not args.url.startswith("ws://127.0.0.1:"):
        sys.exit("viewers connect to 127.0.0.1 only")
    report = asyncio.run(run(args))
    with open(args.out, "w") as out:
        json.dump(report, out)


if __name__ == "__main__":
    main()
