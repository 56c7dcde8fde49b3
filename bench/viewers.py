"""Idle viewers of the live channel, in one asyncio process: connect N WebSockets, acknowledge updates as the page
does (as often as the hello asks), and record when each version arrived. The same client measures VoteTracker and
the bare baseline.

    python -m bench.viewers --url ws://127.0.0.1:PORT/ws/results/SLUG/ --viewers N --out FILE

Prints ``ready <connected> <failed>`` once every viewer is connected (or gave up), records until SIGUSR1 or
``--max-seconds``, then writes FILE (JSON) and exits.

Each viewer is a bare asyncio protocol that reads frames only as far as it must: the header, and for an update the
first bytes that name its version. A full WebSocket client parsed every frame in Python at about 50 µs each, so one
client process could not read the 20,000 frames a second of 10,000 viewers at 2 updates/s, and the benchmark
measured the client instead of the server. What it sends (acknowledgements, pongs) is masked as RFC 6455 requires.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bench.common import raise_file_limit

# Frames start {"type":"update","version":n,"previous":p,"updated_at":"..."; only that prefix is parsed.
PREFIX = re.compile(r'\{"type": ?"update", ?"version": ?(\d+), ?"previous": ?(\d+), ?"updated_at": ?"([^"]+)"')
HELLO = re.compile(r'\{"type": ?"hello"')
# Enough of an update to hold the prefix above.
HEAD_BYTES = 200
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class Recorder:
    """What the viewers received. Slow viewers (``--slow-share``) are kept apart: their receipts do not count in the
    latency figures, and they are expected to skip versions (conflated by the server); what is measured for them is
    how long after they start reading again they hold the newest version."""

    def __init__(self, viewers: int, slow: set[int] | None = None) -> None:
        self.slow = slow or set()
        # The newest version any viewer that keeps up has received: what a slow one must reach after reading again.
        self.newest = 0
        # Per slow viewer: when it started reading again and the version it must then reach.
        self.resumed: dict[int, tuple[float, int]] = {}
        self.catch_up_seconds: list[float] = []
        self.receipts: dict[int, list[float]] = {}
        self.previous: dict[int, int] = {}
        self.stamped: dict[int, float] = {}
        self.sizes: list[int] = []
        self.received: list[set[int]] = [set() for _ in range(viewers)]
        self.hello: list[int] = []
        self.closes: Counter[str] = Counter()
        self.recording = True

    def frame(self, viewer: int, head: str, size: int, at: float) -> int | None:
        match = PREFIX.match(head)
        if match is None:
            return None
        version = int(match.group(1))
        if viewer in self.slow:
            if self.recording:
                self.received[viewer].add(version)
                resumed = self.resumed.get(viewer)
                if resumed is not None and version >= resumed[1]:
                    self.catch_up_seconds.append(at - resumed[0])
                    del self.resumed[viewer]
            return version
        self.newest = max(self.newest, version)
        if self.recording:
            self.receipts.setdefault(version, []).append(at)
            self.received[viewer].add(version)
            if version not in self.previous:
                self.previous[version] = int(match.group(2))
                self.stamped[version] = datetime.fromisoformat(match.group(3)).timestamp()
                self.sizes.append(size)
        return version


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A short client frame (acknowledgement, pong, close), masked."""
    mask = os.urandom(4)
    body = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload[:125]))
    return bytes([0x80 | opcode, 0x80 | len(body)]) + mask + body


class Viewer(asyncio.Protocol):
    def __init__(self, index: int, recorder: Recorder, request: bytes) -> None:
        self.index = index
        self.recorder = recorder
        self.request = request
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.greeted: asyncio.Future[dict[str, Any]] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = False
        self.close_seen = False
        self.ack_every = 1
        self.unacknowledged = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.greeted.done() and not self.close_seen and self.recorder.recording:
            self.recorder.closes["none"] += 1  # dropped without a close frame
        for future in (self.opened, self.greeted):
            if not future.done():
                future.set_exception(ConnectionError("closed before the hello"))
                # Whoever awaits it still gets the error; one nobody awaits (the hello after a failed open) is not
                # reported as never retrieved: the failed connection is counted where the open is awaited.
                future.exception()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.handshaken:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(ConnectionError(bytes(self.buffer[:40]).decode("latin-1")))
                self.abort()
                return
            self.handshaken = True
            del self.buffer[: end + 4]
            self.opened.set_result(None)
        self.read_frames()

    def read_frames(self) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            end = start + length
            if len(buffer) < end:
                return
            if opcode == TEXT:
                self.text(bytes(buffer[start : min(end, start + HEAD_BYTES)]), buffer, start, end)
            elif opcode == PING:
                self.send(masked_frame(PONG, bytes(buffer[start:end])))
            elif opcode == CLOSE:
                self.closed(bytes(buffer[start:end]))
            del buffer[:end]

    def text(self, head: bytes, buffer: bytearray, start: int, end: int) -> None:
        at = time.time()
        prefix = head.decode("utf-8", "replace")
        if not self.greeted.done() and HELLO.match(prefix):
            try:
                hello = json.loads(bytes(buffer[start:end]))
                self.ack_every = max(1, int(hello.get("ack_every", 1)))
            except (ValueError, AttributeError) as error:
                self.greeted.set_exception(ConnectionError(f"unreadable hello: {error}"))
                return
            self.greeted.set_result(hello)
            return
        version = self.recorder.frame(self.index, prefix, end - start, at)
        if version is None:
            return
        self.unacknowledged += 1
        if self.unacknowledged >= self.ack_every:  # as the page does
            self.send(masked_frame(TEXT, f'{{"ack": {version}}}'.encode()))
            self.unacknowledged = 0

    def closed(self, payload: bytes) -> None:
        self.close_seen = True
        if self.recorder.recording:  # not the client's own abort at the end
            code = str(int.from_bytes(payload[:2], "big")) if len(payload) >= 2 else "none"
            self.recorder.closes[code] += 1
        self.abort()

    def send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def upgrade_request(url: str, origin: str) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    return host, port, request.encode()


def _same(viewer: Viewer) -> Viewer:
    return viewer


async def open_viewer(index: int, url: str, origin: str, recorder: Recorder, attempts: int = 5) -> Viewer | None:
    host, port, request = upgrade_request(url, origin)
    loop = asyncio.get_running_loop()
    for attempt in range(attempts):
        viewer = Viewer(index, recorder, request)
        try:
            await loop.create_connection(functools.partial(_same, viewer), host, port)
            await asyncio.wait_for(viewer.opened, 30)
            return viewer
        except (OSError, TimeoutError):
            viewer.abort()
            await asyncio.sleep(0.2 * (attempt + 1))
    return None


async def read_slowly(viewer: Viewer, recorder: Recorder, cycle: float) -> None:
    """Read a tenth of the time, as a phone on a bad network: stop reading for nine tenths of ``cycle``, then read
    for one tenth, noting when reading started again and the newest version there was then."""
    assert viewer.transport is not None
    while True:
        viewer.transport.pause_reading()
        await asyncio.sleep(cycle * 0.9)
        if recorder.newest > max(recorder.received[viewer.index], default=0):
            recorder.resumed[viewer.index] = (time.time(), recorder.newest)
        viewer.transport.resume_reading()
        await asyncio.sleep(cycle * 0.1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_file_limit()
    every = round(1 / args.slow_share) if args.slow_share > 0 else 0
    slow = {index for index in range(args.viewers) if every and index % every == 0}
    recorder = Recorder(args.viewers, slow)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    origin = args.origin or args.url.replace("ws://", "http://").split("/ws/")[0]
    gate = asyncio.Semaphore(args.concurrency)
    started = time.monotonic()

    async def one(index: int) -> Viewer | None:
        async with gate:
            viewer = await open_viewer(index, args.url, origin, recorder)
            if viewer is None:
                return None
            try:
                hello = await asyncio.wait_for(viewer.greeted, 30)
            except (OSError, TimeoutError, ValueError):
                viewer.abort()
                return None
            recorder.hello.append(int(hello.get("version", 0)))
            return viewer

    viewers = [v for v in await asyncio.gather(*(one(i) for i in range(args.viewers))) if v is not None]
    connect_seconds = time.monotonic() - started
    print(f"ready {len(viewers)} {args.viewers - len(viewers)}", flush=True)
    readers = [asyncio.ensure_future(read_slowly(v, recorder, args.slow_cycle)) for v in viewers if v.index in slow]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    recorder.recording = False
    for reader in readers:
        reader.cancel()
    for viewer in viewers:
        viewer.abort()
    newest_hello = max(recorder.hello, default=0)
    expected = {v for v in recorder.receipts if v > newest_hello}
    lost = sum(len(expected - recorder.received[viewer.index]) for viewer in viewers if viewer.index not in slow)
    return {
        "connected": len(viewers),
        "failed": args.viewers - len(viewers),
        "connect_seconds": connect_seconds,
        "newest_hello": newest_hello,
        "versions": {
            str(v): {"previous": recorder.previous[v], "stamped": recorder.stamped[v], "receipts": recorder.receipts[v]}
            for v in sorted(recorder.receipts)
        },
        "frame_bytes": max(recorder.sizes, default=0),
        "lost": lost,
        "closed_early": dict(recorder.closes),
        "slow": {
            "viewers": sum(1 for viewer in viewers if viewer.index in slow),
            "cycle_seconds": args.slow_cycle,
            "catch_up_seconds": recorder.catch_up_seconds,
            # Slow viewers that started reading again and had not reached the newest version when the run ended.
            "still_behind": len(recorder.resumed),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--origin", default=None)
    parser.add_argument("--viewers", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--out", required=True)
    parser.add_argument("--slow-share", type=float, default=0.0, help="share of viewers that read a tenth of the time")
    parser.add_argument("--slow-cycle", type=float, default=10.0, help="seconds of one slow read cycle (default 10)")
    args = parser.parse_args()
    if not args.url.startswith("ws://127.0.0.1:"):
        sys.exit("viewers connect to 127.0.0.1 only")
    report = asyncio.run(run(args))
    with open(args.out, "w") as out:
        json.dump(report, out)


if __name__ == "__main__":
    main()
