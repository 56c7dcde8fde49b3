"""The ceiling for live fan-out: a bare ``websockets`` server that broadcasts one frame of a given size to every
connected client at a fixed rate with ``websockets.broadcast``, encoding it once.

    python -m bench.bare --port P --bytes B --rate R --count C

It says hello on connect (as the live channel does, asking for the same acknowledgements), ignores what clients
send, and on SIGUSR1 broadcasts C frames, the first at once, then one every 1/R seconds; SIGTERM stops it. Frames
look like the live channel's updates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from bench.common import HOST, raise_file_limit

# Clients acknowledge as often as VoteTracker's live channel asks them to (results.consumers.ACK_EVERY), so both
# servers read the same number of acknowledgements.
ACK_EVERY = 8


def frame(version: int, size: int) -> str:
    head = {"type": "update", "version": version, "previous": version - 1, "updated_at": ""}
    head["updated_at"] = datetime.now(UTC).isoformat()
    text = json.dumps({**head, "parts": ""})
    return json.dumps({**head, "parts": "x" * max(0, size - len(text))})


async def run(args: argparse.Namespace) -> None:
    raise_file_limit()
    clients: set[ServerConnection] = set()
    version = 0

    async def handler(ws: ServerConnection) -> None:
        clients.add(ws)
        try:
            await ws.send(json.dumps({"type": "hello", "version": version, "ack_every": ACK_EVERY}))
            async for _message in ws:
                pass
        except ConnectionClosed:
            pass
        finally:
            clients.discard(ws)

    loop = asyncio.get_running_loop()
    start, stop = asyncio.Event(), asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, start.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with serve(handler, HOST, args.port, compression=None, ping_interval=None, max_size=1024, backlog=4096):
        print("listening", flush=True)
        await start.wait()
        began = loop.time()
        for index in range(args.count):
            await asyncio.sleep(max(0.0, began + index / args.rate - loop.time()))
            version += 1
            broadcast(clients, frame(version, args.bytes))
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bytes", type=int, required=True)
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--count", type=int, required=True)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
