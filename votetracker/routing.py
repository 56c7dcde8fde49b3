"""WebSocket routes. Each app that speaks WebSocket adds its patterns here."""

from django.urls import URLPattern, URLResolver, path

from results.consumers import ResultsConsumer

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/results/<slug:slug>/", ResultsConsumer.as_asgi()),
]
