"""ASGI entry point: one application serving HTTP and WebSocket (``ProtocolTypeRouter``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "votetracker.settings")

# Django must be set up before anything imports models (the WebSocket routes do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from results.loops import with_server_loop  # noqa: E402
from results.worker import with_results_worker  # noqa: E402
from votetracker.routing import websocket_urlpatterns  # noqa: E402

# In the embedded mode the server is also its own results worker, started on its loop by the first request.
application = with_server_loop(
    with_results_worker(
        ProtocolTypeRouter(
            {
                "http": django_asgi_app,
                "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
            }
        )
    )
)
