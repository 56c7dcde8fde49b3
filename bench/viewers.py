"""Idle viewers of the live channel, in one asyncio process: connect N WebSockets, acknowledge updates as the page
does (as often as the hello asks), and record when each version arrived. The same client measures VoteTracker and
the bare baseline.

    python -m bench.viewers --url ws://127.0.0.1:PORT/ws/results/SLUG/ --viewers N --out FILE

Prints ``ready <connected> <failed>`` once every viewer is connected (or gave up), records until SIGUSR1 or
``--max-seconds``, then writes FILE (JSON) and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
import time
from collections import Counter
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.typing import Origin

from bench.common import raise_file_limit

# Frames start {"type":"update","version":n,"previous":p,"updated_at":"..."; only that prefix is parsed.
PREFIX = re.compile(r'\{"type": ?"update", ?"version": ?(\d+), ?"previous": ?(\d+), ?"updated_at": ?"([^"]+)"')


class Recorder:
    def __init__(self) -> None:
        self.receipts: dict[int, list[float]] = {}
        self.previous: dict[int, int] = {}
        self.stamped: dict[int, float] = {}
        self.sizes: list[int] = []
        self.received: list[set[int]] = []
        self.hello: list[int] = []
        self.closes: Counter[str] = Counter()
        self.recording = True

    def frame(self, viewer: int, text: str, at: float) -> int | None:
        match = PREFIX.match(text)
        if match is None:
            return None
        version = int(match.group(1))
        if self.recording:
            self.receipts.setdefault(version, []).append(at)
            self.received[viewer].add(version)
            if version not in self.previous:
                self.previous[version] = int(match.group(2))
                self.stamped[version] = datetime.fromisoformat(match.group(3)).timestamp()
                self.sizes.append(len(text.encode()))
        return version


async def open_viewer(url: str, origin: str, attempts: int = 5) -> ClientConnection | None:
    for attempt in range(attempts):
        try:
            return await connect(
                url,
                origin=Origin(origin),
                compression=None,
                max_size=None,
                ping_interval=None,
                open_timeout=30,
                close_timeout=1,
            )
        except (OSError, InvalidHandshake, TimeoutError):
            await asyncio.sleep(0.2 * (attempt + 1))
    return None


async def watch(index: int, ws: ClientConnection, recorder: Recorder, ack_every: int) -> None:
    unacknowledged = 0
    try:
        async for message in ws:
            at = time.time()
            text = message if isinstance(message, str) else message.decode()
            version = recorder.frame(index, text, at)
            if version is None:
                continue
            # As the page does: every ack_every-th update (the hello says how often; the bare loop asks for each).
            unacknowledged += 1
            if unacknowledged >= ack_every:
                await ws.send(f'{{"ack": {version}}}')
                unacknowledged = 0
    except ConnectionClosed as closed:
        if recorder.recording:  # Not the client's own abort at the end.
            recorder.closes[str(closed.rcvd.code if closed.rcvd else "none")] += 1


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_file_limit()
    recorder = Recorder()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    origin = args.origin or args.url.replace("ws://", "http://").split("/ws/")[0]
    gate = asyncio.Semaphore(args.concurrency)
    ack_every: dict[ClientConnection, int] = {}
    started = time.monotonic()

    async def one() -> ClientConnection | None:
        async with gate:
            ws = await open_viewer(args.url, origin)
            if ws is None:
                return None
            try:
                hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
            except (ConnectionClosed, TimeoutError, ValueError):
                await ws.close()
                return None
            recorder.hello.append(int(hello.get("version", 0)))
            ack_every[ws] = max(1, int(hello.get("ack_every", 1)))
            return ws

    sockets = [ws for ws in await asyncio.gather(*(one() for _ in range(args.viewers))) if ws is not None]
    connect_seconds = time.monotonic() - started
    recorder.received = [set() for _ in sockets]
    tasks = [asyncio.create_task(watch(i, ws, recorder, ack_every[ws])) for i, ws in enumerate(sockets)]
    print(f"ready {len(sockets)} {args.viewers - len(sockets)}", flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    recorder.recording = False
    for ws in sockets:
        ws.transport.abort()
    await asyncio.gather(*tasks, return_exceptions=True)
    newest_hello = max(recorder.hello, default=0)
    expected = {v for v in recorder.receipts if v > newest_hello}
    lost = sum(len(expected - got) for got in recorder.received)
    return {
        "connected": len(sockets),
        "failed": args.viewers - len(sockets),
        "connect_seconds": connect_seconds,
        "newest_hello": newest_hello,
        "versions": {
            str(v): {"previous": recorder.previous[v], "stamped": recorder.stamped[v], "receipts": recorder.receipts[v]}
            for v in sorted(recorder.receipts)
        },
        "frame_bytes": max(recorder.sizes, default=0),
        "lost": lost,
        "closed_early": dict(recorder.closes),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--origin", default=None)
    parser.add_argument("--viewers", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not args.url.startswith("ws://127.0.0.1:"):
        sys.exit("viewers connect to 127.0.0.1 only")
    report = asyncio.run(run(args))
    with open(args.out, "w") as out:
        json.dump(report, out)


if __name__ == "__main__":
    main()
