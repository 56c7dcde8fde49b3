"""Read VoteTracker's settings from the environment.

Embedded mode (no ``DATABASE_URL`` and no ``REDIS_URL``) needs no configuration at all. Server mode (either
variable set) refuses to start on a missing or malformed value, and the message names the variable.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from votetracker.private_files import embedded_secret_key, keep_sqlite_file_private

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
# Example keys published in .env.example and the docs (the first one in earlier releases): anyone can sign a session
# with them, so a node started with one refuses to run.
PLACEHOLDER_SECRET_KEYS = frozenset(
    {
        "change-me-to-at-least-32-random-characters",
        "change-me-to-the-output-of-openssl-rand-hex-32",
    }
)
# Connections one app process may hold to PostgreSQL (each node's share of max_connections).
DEFAULT_POOL_SIZE = 10
MAX_POOL_SIZE = 200
EMBEDDED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
# A node that answers only to these names is reached without TLS (a developer's machine, a test run).
LOCAL_HOSTS = {*EMBEDDED_HOSTS, "::1"}
ONE_YEAR = 365 * 24 * 3600
LOG_FORMATS = {"json", "text"}
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
DEFAULT_METRICS_ALLOWED_IPS = "127.0.0.1,::1"
# A staff session lasts one working shift at most (and ends when the browser closes).
DEFAULT_SESSION_HOURS = 12
MAX_SESSION_HOURS = 24
# Where recounts run (results/README.md): "process", a separate `manage.py results_worker` (server mode, needs Redis to
# reach it and the viewers); "background", a task of the server process itself (the embedded mode); "inline", each
# app process after its own commits.
RESULTS_WORKER_MODES = {"process", "background", "inline"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Config:
    """Validated settings; ``server_mode`` is true when PostgreSQL or Redis is configured."""

    server_mode: bool
    secret_key: str
    debug: bool
    database: dict[str, Any]
    redis_url: str | None
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str] = field(default_factory=list)
    time_zone: str = "UTC"
    static_manifest: bool = False
    https: bool = False
    hsts_seconds: int = 0
    log_format: str = "text"
    log_level: str = "INFO"
    metrics_allowed_networks: tuple[Network, ...] = ()
    trusted_proxies: tuple[Network, ...] = ()
    session_hours: int = DEFAULT_SESSION_HOURS
    # The owner's connection for migrations (MIGRATION_DATABASE_URL); None: migrations run as DATABASE_URL's role.
    migration_database: dict[str, Any] | None = None
    # Origins whose pages may frame the embeddable results cards (EMBED_ALLOWED_ORIGINS); none: only the site itself.
    embed_allowed_origins: tuple[str, ...] = ()
    results_worker: str = "background"


def _fail(name: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}: {problem}")


def _read_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _fail(name, f"expected one of true/false/1/0/yes/no/on/off, got {raw!r}")


def _read_list(env: Mapping[str, str], name: str) -> list[str] | None:
    raw = env.get(name)
    if raw is None:
        return None
    return [item.strip() for item in raw.split(",") if item.strip()]


def _read_database(env: Mapping[str, str], base_dir: Path) -> dict[str, Any]:
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(base_dir / "votetracker.sqlite3"),
            # Concurrent writers wait for the lock instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    try:
        parsed = dj_database_url.parse(raw)
    except (ValueError, KeyError) as exc:
        raise _fail("DATABASE_URL", f"cannot be parsed ({exc}); expected postgres://user:pass@host:5432/name") from exc
    engine = parsed.get("ENGINE", "")
    if engine not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise _fail("DATABASE_URL", f"unsupported database {engine or raw!r}; use postgres:// (or sqlite:///path)")
    if engine == "django.db.backends.postgresql" and not parsed.get("NAME"):
        raise _fail("DATABASE_URL", "names no database; expected postgres://user:pass@host:5432/name")
    if engine == "django.db.backends.postgresql":
        # Under ASGI every request runs in a thread of its own, so persistent per-thread connections would pile up
        # until PostgreSQL refuses clients; a bounded pool per process is shared by all of them instead.
        parsed["CONN_MAX_AGE"] = 0
        parsed["OPTIONS"] = {
            **parsed.get("OPTIONS", {}),
            "pool": {
                "min_size": 1,
                "max_size": _read_whole_number(
                    env, "DATABASE_POOL_SIZE", default=DEFAULT_POOL_SIZE, most=MAX_POOL_SIZE, unit="connections"
                ),
                "timeout": 10,
            },
        }
    return dict(parsed)


def _read_migration_database(env: Mapping[str, str], database: dict[str, Any]) -> dict[str, Any] | None:
    """The owning role's connection to the application's database, used by ``migrate`` and ``grant_app_role`` only
    (see ``trust.database_roles``): the application's own role then cannot alter the audit table or its guards."""
    name = "MIGRATION_DATABASE_URL"
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise _fail(name, "needs DATABASE_URL to name a PostgreSQL database (connecting as the application's role)")
    try:
        parsed = dict(dj_database_url.parse(raw))
    except (ValueError, KeyError) as exc:
        raise _fail(name, f"cannot be parsed ({exc}); expected postgres://owner:pass@host:5432/name") from exc
    if parsed.get("ENGINE") != "django.db.backends.postgresql" or parsed.get("NAME") != database["NAME"]:
        raise _fail(name, f"must name the PostgreSQL database of DATABASE_URL, {database['NAME']!r}")
    if parsed.get("USER") == database.get("USER"):
        raise _fail(name, "connects as DATABASE_URL's role; name the owning role here, the application's there")
    # Migrations run in one process, one at a time: one plain connection, no pool.
    parsed["CONN_MAX_AGE"] = 0
    return parsed


def _read_whole_number(env: Mapping[str, str], name: str, *, default: int, most: int, unit: str) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= most:
        raise _fail(name, f"expected a whole number of {unit} from 1 to {most}, got {raw!r}")
    return number


def _read_redis_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("REDIS_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise _fail("REDIS_URL", f"expected redis://host:6379/0, rediss:// or unix://, got {raw!r}")
    if parts.scheme != "unix" and not parts.hostname:
        raise _fail("REDIS_URL", f"names no host: {raw!r}")
    try:
        parts.port  # noqa: B018 - evaluating it validates the port number
    except ValueError as exc:
        raise _fail("REDIS_URL", f"bad port in {raw!r}") from exc
    return raw


def _read_choice(env: Mapping[str, str], name: str, choices: set[str], default: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in choices:
        return raw.lower()
    if raw.upper() in choices:
        return raw.upper()
    raise _fail(name, f"expected one of {', '.join(sorted(choices))}, got {raw!r}")


def _read_seconds(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        seconds = int(raw)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise _fail(name, f"expected a whole number of seconds (0 or more), got {raw!r}")
    return seconds


def _read_networks(env: Mapping[str, str], name: str, default: str = "") -> tuple[Network, ...]:
    """Comma-separated addresses or networks (``10.0.0.0/8``); an empty value means none."""
    raw = env.get(name)
    items = [item.strip() for item in (default if raw is None else raw).split(",")]
    networks = []
    for item in filter(None, items):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise _fail(name, f"{item!r} is not an IP address or network such as 10.0.0.0/8") from exc
    return tuple(networks)


# An origin a Content-Security-Policy source list accepts as is: scheme, host (optionally "*." and a domain) and port.
EMBED_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")


def _read_embed_origins(env: Mapping[str, str]) -> tuple[str, ...]:
    """Origins allowed to show the embed cards in a frame, such as ``https://news.example.com`` or
    ``https://*.example.com``: each goes into the embed pages' ``frame-ancestors``, so nothing else may be in it."""
    name = "EMBED_ALLOWED_ORIGINS"
    origins = _read_list(env, name) or []
    for origin in origins:
        if not EMBED_ORIGIN.match(origin):
            raise _fail(
                name,
                f"{origin!r} is not an origin such as https://news.example.com or https://*.example.com "
                "(scheme and host, no path)",
            )
    return tuple(origin.lower() for origin in origins)


def _read_time_zone(env: Mapping[str, str]) -> str:
    raw = env.get("TIME_ZONE", "UTC").strip() or "UTC"
    if raw not in zoneinfo.available_timezones():
        raise _fail("TIME_ZONE", f"unknown time zone {raw!r}; use an IANA name such as Asia/Amman")
    return raw


def _read_results_worker(env: Mapping[str, str], redis_url: str | None) -> str:
    mode = _read_choice(env, "RESULTS_WORKER", RESULTS_WORKER_MODES, default="process" if redis_url else "background")
    if mode == "process" and not redis_url:
        # A separate process reaches neither this process's memory cache nor its in-memory channel layer.
        raise _fail("RESULTS_WORKER", "process needs REDIS_URL (use background or inline without Redis)")
    return mode


def _check_server_secret_key(key: str) -> None:
    """Refuse a missing, published or weak key (Django's security.W009 rules) in server mode."""
    if not key:
        raise _fail("SECRET_KEY", "is required in server mode (when DATABASE_URL or REDIS_URL is set)")
    if key in PLACEHOLDER_SECRET_KEYS:
        raise _fail("SECRET_KEY", "is the published example; generate a key of your own with `openssl rand -hex 32`")
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        raise _fail(
            "SECRET_KEY",
            f"is too weak; use at least {SECRET_KEY_MIN_LENGTH} random characters (`openssl rand -hex 32`), "
            f"not starting with {SECRET_KEY_INSECURE_PREFIX!r}",
        )


def load_config(env: Mapping[str, str], base_dir: Path) -> Config:
    """Validate ``env`` and return the settings VoteTracker runs with."""
    database = _read_database(env, base_dir)
    redis_url = _read_redis_url(env)
    server_mode = bool(env.get("DATABASE_URL", "").strip() or redis_url)
    debug = _read_bool(env, "DEBUG", default=False)
    time_zone = _read_time_zone(env)

    secret_key = env.get("SECRET_KEY", "").strip()
    if server_mode:
        _check_server_secret_key(secret_key)
    elif not secret_key:
        secret_key = embedded_secret_key(base_dir)

    allowed_hosts = _read_list(env, "ALLOWED_HOSTS")
    if allowed_hosts is None:
        if server_mode and not debug:
            raise _fail("ALLOWED_HOSTS", "is required in server mode: a comma-separated list of host names")
        allowed_hosts = list(EMBEDDED_HOSTS)
    elif not allowed_hosts:
        raise _fail("ALLOWED_HOSTS", "is empty; list the host names this node answers to, separated by commas")

    origins = _read_list(env, "CSRF_TRUSTED_ORIGINS") or []
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise _fail("CSRF_TRUSTED_ORIGINS", f"{origin!r} must be a full origin such as https://results.example.org")

    # Behind TLS unless the node answers only to local names (then it is a developer's machine or a test run).
    https_default = server_mode and not debug and not set(allowed_hosts) <= LOCAL_HOSTS
    https = _read_bool(env, "HTTPS", default=https_default)
    hsts_seconds = _read_seconds(env, "HSTS_SECONDS", default=ONE_YEAR)

    keep_sqlite_file_private(database)
    return Config(
        server_mode=server_mode,
        secret_key=secret_key,
        debug=debug,
        database=database,
        redis_url=redis_url,
        migration_database=_read_migration_database(env, database),
        allowed_hosts=allowed_hosts,
        csrf_trusted_origins=origins,
        time_zone=time_zone,
        static_manifest=_read_bool(env, "STATIC_MANIFEST", default=False),
        https=https,
        hsts_seconds=hsts_seconds if https else 0,
        log_format=_read_choice(env, "LOG_FORMAT", LOG_FORMATS, default="json" if server_mode else "text"),
        log_level=_read_choice(env, "LOG_LEVEL", LOG_LEVELS, default="INFO"),
        metrics_allowed_networks=_read_networks(env, "METRICS_ALLOWED_IPS", DEFAULT_METRICS_ALLOWED_IPS),
        trusted_proxies=_read_networks(env, "TRUSTED_PROXIES"),
        session_hours=_read_whole_number(
            env, "SESSION_HOURS", default=DEFAULT_SESSION_HOURS, most=MAX_SESSION_HOURS, unit="hours"
        ),
        results_worker=_read_results_worker(env, redis_url),
        embed_allowed_origins=_read_embed_origins(env),
    )
