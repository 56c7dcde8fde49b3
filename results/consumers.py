"""The live channel ``/ws/results/<election>/``: join the election's group, say which version is current, forward
each broadcast, leave. It never touches the ORM per message: the funnel encodes each frame once, here it is only
written to the socket."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from results.selectors import get_public_snapshot
from results.services import group_name


class ResultsConsumer(AsyncWebsocketConsumer):
    """One public viewer of an election's results. Sends only; anything the viewer sends is ignored."""

    election_id: int | None = None
    version: int = 0

    async def connect(self) -> None:
        slug = str(self.scope["url_route"]["kwargs"]["slug"])
        # Usually a cache hit; on a miss the snapshot is rebuilt from the database once, here, not per message.
        snapshot = await database_sync_to_async(get_public_snapshot)(slug=slug)
        if snapshot is None:
            await self.close(code=4404)
            return
        self.election_id = int(snapshot["election"]["id"])
        self.version = int(snapshot["version"])
        if self.channel_layer is not None:
            await self.channel_layer.group_add(group_name(self.election_id), self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello", "version": self.version}))

    async def disconnect(self, code: int) -> None:
        if self.election_id is not None and self.channel_layer is not None:
            await self.channel_layer.group_discard(group_name(self.election_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Viewers only listen."""

    async def results_update(self, message: dict[str, Any]) -> None:
        """Forward a broadcast frame unless this viewer already has that version or a newer one."""
        version = int(message["version"])
        if version <= self.version:
            return
        self.version = version
        await self.send(text_data=message["frame"])

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every message (a thread hop each time); this consumer
        # uses the database only in connect, through database_sync_to_async, so broadcasts skip that hop.
        if message["type"] == "results.update":
            await self.results_update(message)
            return
        await super().dispatch(message)
