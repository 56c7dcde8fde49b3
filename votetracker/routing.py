"""WebSocket routes. Each app that speaks WebSocket adds its patterns here."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import URLPattern, URLResolver, path, re_path

from results.consumers import NOT_PUBLIC_CLOSE_CODE, ResultsConsumer


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path is refused at the handshake, instead of raising "No route found" in the server."""

    async def connect(self) -> None:
        # The results channel's own answer for what it does not serve: the page stops reconnecting on it.
        await self.close(code=NOT_PUBLIC_CLOSE_CODE)


websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/results/<slug:slug>/", ResultsConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
