"""WebSocket routes. Each app that speaks WebSocket adds its patterns here."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import URLPattern, URLResolver, path, re_path

from results.consumers import ResultsConsumer

# The code the results channel answers an unknown election with; the page stops reconnecting on it.
NOT_FOUND_CLOSE_CODE = 4404


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path is refused at the handshake, instead of raising "No route found" in the server."""

    async def connect(self) -> None:
        await self.close(code=NOT_FOUND_CLOSE_CODE)


websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/results/<slug:slug>/", ResultsConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
