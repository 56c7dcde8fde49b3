# VoteTracker application image: one ASGI process (uvicorn) serving HTTP and WebSocket.
# The official Python image; a registry mirror's copy of it, or an equivalent, can be named with --build-arg.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# For this stage only: strip, to drop the debug symbols of the dependencies' compiled extensions (uvloop's alone are
# 12 MB), which nothing needs at run time.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
# Unset, packages come from PyPI. For a build that cannot reach it, pass a package mirror or a wheelhouse
# (--build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=http://...): pip reads them from the environment, and the
# hashes of the lock are checked either way.
ARG PIP_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX
# The runtime lock (`make lock`): every transitive dependency at its locked version, each file checked by its hash.
COPY requirements.lock /tmp/requirements.lock
# The languages the site offers (LANGUAGES in votetracker/settings.py): the dependencies' translations into others
# are never loaded.
ARG LOCALES="en ar"
# Only what runs is kept: no bytecode yet (the runtime stage compiles what the app imports), no test suites, message
# catalogue sources, other languages or debug symbols of the dependencies (Django's own `django/test` is code, not
# tests), and no pip or setuptools, which nothing imports at run time.
RUN /opt/venv/bin/pip install --no-compile --require-hashes -r /tmp/requirements.lock \
    && /opt/venv/bin/python -m pip uninstall --quiet --yes pip setuptools \
    && cd /opt/venv/lib/python*/site-packages \
    && find . -type d \( -name tests -o -name test \) -not -path ./django/test -prune -exec rm -rf {} + \
    && find . -name '*.po' -delete \
    && find . -type f -name '*.so*' -exec strip --strip-debug {} + \
    && find . -type d -path '*/locale/*' -prune | while read -r dir; do \
         language=${dir##*/}; case " $LOCALES " in *" ${language%%_*} "*) ;; *) rm -rf "$dir" ;; esac; \
       done

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=votetracker.settings \
    STATIC_MANIFEST=1
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin votetracker
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=votetracker:votetracker . /app
# Static files are collected at build time (translations ship compiled); embedded defaults suffice here.
# They are the app user's: the compose `static` volume starts as a copy of them, and the `migrate` service (running as
# that user) refreshes them there on every upgrade.
# The same run writes the bytecode of the modules the app imports (its URLs and ASGI entry point too), then compileall
# adds the server, the migrations and the management commands, so that no process compiles them again at each start;
# nothing is compiled that never loads (Daphne's Twisted, say). PYTHONDONTWRITEBYTECODE is lifted for this step only.
RUN SECRET_KEY=collectstatic-only-not-a-real-key-0123456789 PYTHONDONTWRITEBYTECODE= sh -c \
      'python manage.py collectstatic --noinput \
       && python -c "import django; django.setup(); import votetracker.asgi, votetracker.urls"' \
    && cd /opt/venv/lib/python*/site-packages \
    && python -m compileall -q -j 0 uvicorn websockets httptools django/db/migrations \
         $(find /app . -type d \( -name migrations -o -name management \) -not -path '*/tests/*') \
    && cd /app && rm -f /app/.secret_key /app/votetracker.sqlite3 && chown -R votetracker:votetracker /app/staticfiles
USER votetracker
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# uvicorn serves HTTP and WebSocket. On SIGTERM it stops accepting, closes every WebSocket with 1012 (service restart)
# so pages reconnect through nginx to the other replica, and lets requests in flight finish (up to 25 s; compose
# waits 30 s before killing). Exec form makes it PID 1 so it receives the signal. Daphne stays supported
# (`daphne votetracker.asgi:application`), but it cancels connections on SIGTERM instead of draining them.
# --no-proxy-headers: uvicorn leaves the client address as the TCP peer and the app decides whom to believe. It reads
# X-Forwarded-For only from the proxies in TRUSTED_PROXIES (a validated setting, the same under uvicorn, Daphne and the
# tests), so there is one list to keep, not a second one in this command that could drift from it. HTTPS is told by
# X-Forwarded-Proto, believed from the same TRUSTED_PROXIES only, which needs nothing from uvicorn either.
STOPSIGNAL SIGTERM
CMD ["uvicorn", "votetracker.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--lifespan", "off", \
     "--no-proxy-headers", "--ws", "websockets-sansio", "--ws-max-size", "65536", \
     "--timeout-graceful-shutdown", "25", "--no-server-header", "--no-access-log"]
