"""How often one API token, or one signed-in user, may call the entry API: enough for any polling station, and a
runaway script is answered 429 instead of filling the database.

The rate is ``settings.ENTRY_API_RATE`` (e.g. ``"600/min"``; ``None`` turns the limit off), counted in the default
cache: Redis in server mode, so every app node counts against the same limit.
"""

from __future__ import annotations

import functools
import threading
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle

from trust.tokens import hash_secret


class EntryRateThrottle(SimpleRateThrottle):
    """A fixed window per token (per user for session requests), counted with the cache's atomic ``incr``.

    Ninja's own throttles keep a list of request times that each request reads and writes back: requests racing on
    several app nodes overwrite each other's counts, and the list costs as much as the rate allows. An atomic
    counter per window loses nothing and costs the same at any rate; a window boundary may let up to twice the rate
    through in a burst, which is enough to stop a runaway script.
    """

    scope = "entry"

    def __init__(self) -> None:
        # Ninja shares one throttle between the threads serving requests; each keeps its own answer for ``wait``.
        self._local = threading.local()
        super().__init__(rate=_configured_rate())

    def get_cache_key(self, request: HttpRequest) -> str | None:
        # Runs after authentication: a Bearer header here is a valid token (an invalid one was answered 401).
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            ident = "token:" + hash_secret(token.strip())
        else:
            user = getattr(request, "auth", None)
            if user is None:
                return None
            ident = f"user:{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: HttpRequest) -> bool:
        num_requests, duration = _parse_rate(_configured_rate())
        key = self.get_cache_key(request)
        if key is None or num_requests is None or duration is None:
            return True
        now = time.time()
        window = int(now // duration)
        self._local.wait = (window + 1) * duration - now
        window_key = f"{key}_{window}"
        self.cache.add(window_key, 0, duration + 1)
        try:
            count = self.cache.incr(window_key)
        except ValueError:
            # The window's counter vanished (expired, evicted, or the cache is down): let the request through.
            return True
        return count is None or count <= num_requests

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


def _configured_rate() -> str | None:
    rate: str | None = getattr(settings, "ENTRY_API_RATE", None)
    _parse_rate(rate)
    return rate


# Ninja's parser of "requests/period", without the cache and rate its constructor would set up.
_RATE_PARSER = SimpleRateThrottle.__new__(SimpleRateThrottle)


@functools.lru_cache(maxsize=16)
def _parse_rate(rate: str | None) -> tuple[int | None, int | None]:
    try:
        return _RATE_PARSER.parse_rate(rate)
    except ValueError as exc:
        raise ImproperlyConfigured(f"ENTRY_API_RATE: expected requests/period such as '600/min', got {rate!r}") from exc
