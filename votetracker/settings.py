"""Django settings for VoteTracker, read from the environment (see ``votetracker.config``)."""

from __future__ import annotations

import os
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from votetracker.config import load_config
from votetracker.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG = load_config(os.environ, BASE_DIR)

SERVER_MODE = CONFIG.server_mode
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "import_export",
    # Serves the API docs' scripts from our own static files (else from a CDN, which the CSP refuses).
    "ninja",
    "csp",
    "trust",
    "elections",
    "ballots",
    "results",
]

MIDDLEWARE = [
    # Before anything asks whether the request is secure: X-Forwarded-Proto counts only from TRUSTED_PROXIES.
    "votetracker.middleware.ForwardedProtoMiddleware",
    # Then, so that every response is counted and carries the request id, and every log record names it.
    "votetracker.middleware.RequestMetricsMiddleware",
    "votetracker.middleware.RequestIdMiddleware",
    # The client's address, from X-Forwarded-For only when the peer is one of TRUSTED_PROXIES (for /metrics).
    "votetracker.middleware.ClientAddressMiddleware",
    # Before anything that checks the Host header: health checks call a node by its address.
    "votetracker.probes.ProbeMiddleware",
    # A view that lost the database answers 503 "try again", not 500.
    "votetracker.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # How the signed-in user authenticated (session or API token), for the audit events of this request only.
    "trust.authentication.RequestAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "votetracker.urls"
WSGI_APPLICATION = "votetracker.wsgi.application"
ASGI_APPLICATION = "votetracker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": CONFIG.database}
# The owning role's connection, for `manage.py migrate` and `grant_app_role` only (trust.database_roles); None: the
# application's own role runs the migrations.
MIGRATION_DATABASE = CONFIG.migration_database
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if CONFIG.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "KEY_PREFIX": "votetracker",
            "OPTIONS": {
                # Redis only holds derived data: when it is down, reads fall back to the database.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: a broadcast is one PUBLISH that Redis hands to each app node once, whatever the number of
            # viewers, and groups live in each process (no group_expiry: a viewer connected for days stays in).
            # See results/README.md.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # redis-py 8 times out idle blocking reads after 5 s by default, which would close quiet viewers.
            "CONFIG": {"hosts": [{"address": CONFIG.redis_url, "socket_timeout": None}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "votetracker"}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # Groups would forget a viewer after a day by default; a results page may stay open longer.
            "CONFIG": {"group_expiry": 30 * 24 * 3600},
        }
    }

# Rendered bodies of the public results pages, per version and language, kept in each process (never stale: the
# version is part of the key).
CACHES["results_pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "results-pages",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# Live results: at most one broadcast per election per this many seconds, always carrying the newest version.
RESULTS_BROADCAST_INTERVAL = 0.25
# Where recounts run: "process" (`manage.py results_worker`, one active per deployment), "background" (a task of the
# server process, the embedded mode) or "inline" (each app process after its own commits). See results/README.md.
RESULTS_WORKER = CONFIG.results_worker

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours: a locked-out account or address may try again after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A refused attempt is not a guess: it neither counts nor extends the lockout, so the per-username pause below counts
# only passwords actually tried (and one address can never reach its limit, see votetracker.login_limits).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# On top of the per-address lockout, a username guessed from many addresses pauses for everyone, briefly and with
# backoff; the numbers and why they are safe against a clerk being locked out are in votetracker.login_limits.
AXES_HANDLER = "votetracker.login_limits.LoginLimitsHandler"
# The same client address as the audit log: the peer, or X-Forwarded-For from TRUSTED_PROXIES only.
AXES_CLIENT_IP_CALLABLE = "trust.http.get_client_address"
# A refused sign-in answers 429 with a page in the site's layout that says how many minutes are left.
AXES_LOCKOUT_CALLABLE = "votetracker.views.sign_in_paused"
# Entry API calls per token (or signed-in user): generous for a polling station, stops a runaway script.
ENTRY_API_RATE = os.environ.get("ENTRY_API_RATE", "").strip() or "600/min"
# The public page of signed audit checkpoints (/audit/checkpoints/, docs/audit.md): the file `manage.py
# audit_checkpoint --out` appends to, or a copy of it, and the public key that verifies it. Unset: nothing published.
AUDIT_CHECKPOINTS_FILE = os.environ.get("AUDIT_CHECKPOINTS_FILE", "").strip() or None
AUDIT_PUBLIC_KEY_FILE = os.environ.get("AUDIT_PUBLIC_KEY_FILE", "").strip() or None
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Number separators per language; figures are grouped only where a template asks (`grouped`), never in ids or URLs.
FORMAT_MODULE_PATH = ["votetracker.formats"]
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Collected files exist only where `collectstatic` ran (the container image); elsewhere files come from the finders.
STATIC_ROOT = BASE_DIR / "staticfiles" if CONFIG.static_manifest else None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if CONFIG.static_manifest
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without a collectstatic run (embedded mode, tests) whitenoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = not CONFIG.static_manifest

SESSION_COOKIE_HTTPONLY = True
# A staff session lasts one working shift (SESSION_HOURS after sign-in) and ends when the browser closes. Public pages
# never touch the session, so they still set no cookie.
SESSION_COOKIE_AGE = CONFIG.session_hours * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False
# A form that comes back without a valid token gets a page that says nothing was recorded and how to send it again.
CSRF_FAILURE_VIEW = "votetracker.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Large enough for a national stations file, small enough that an upload cannot exhaust memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

LOGGING = logging_config(json_format=CONFIG.log_format == "json", level=CONFIG.log_level)

# HTTPS (on by default in server mode, see votetracker.config): TLS ends at the proxy, which says so in
# X-Forwarded-Proto (believed from TRUSTED_PROXIES only, see ForwardedProtoMiddleware); plain-HTTP requests are
# redirected, except the probes and the scrape that come from inside.
if CONFIG.https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content Security Policy: scripts only from our own static files (none inline). Styles allow inline attributes:
# bar widths and party colours are data, set per element. WebSocket connections to the same host match 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Origins whose pages may frame the embed cards (/embed/…): their CSP says frame-ancestors 'self' and these; every
# other page keeps refusing to be framed.
EMBED_ALLOWED_ORIGINS = list(CONFIG.embed_allowed_origins)

METRICS_ALLOWED_NETWORKS = CONFIG.metrics_allowed_networks
# Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (trust.http.is_trusted_proxy); none by default.
TRUSTED_PROXIES = CONFIG.trusted_proxies
