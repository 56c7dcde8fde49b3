# VoteTracker: `make run` serves the embedded demo; `make test` runs every test, lint and type check.
# `make run PORT=8080` (or HOST=0.0.0.0) serves elsewhere; the logins and addresses it prints follow.
# `make demo-reset` starts the demo afresh: stop `make run` first, then run it again.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Server-mode tests use the machine's PostgreSQL and Redis unless these are set.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/votetracker
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
SERVER_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	SECRET_KEY=server-mode-test-key-not-for-production-0123456789 ALLOWED_HOSTS=localhost,127.0.0.1,testserver

.PHONY: run demo-reset test lint typecheck pytest-server pytest-embedded services system-packages clean bench bench-smoke

# Dependencies: requirements.txt (runtime) and requirements-dev.txt (tests and tools) are the files people edit; the
# lock files requirements.lock and requirements-dev.lock pin every transitive dependency with the hash of every file
# PyPI offers for it, and every install (here, CI and the image) uses only them, with --require-hashes.
# To add, remove or update a dependency: change its pin in requirements*.txt, run `make lock`, and commit the inputs
# and both locks together. `make lock UPGRADE="-P NAME"` moves one transitive dependency to its newest release.
# The venv's own pip installs the locks: upgrading it first would be the one unhashed install (the dev lock pins pip).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

# The runtime lock is a subset of the dev lock at the same versions (`make lock` makes it so), hence both stamps.
$(VENV)/.installed-dev: requirements.lock requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(VENV)/.installed $@

# The dev lock is resolved first; the runtime lock then takes its versions from it. Only PyPI is asked: a machine's
# pip configuration (extra indexes, local wheels, constraints) must not leak into the locks.
UPGRADE ?=
.PHONY: lock lock-check
PIP_COMPILE := env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_NO_INDEX -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --index-url https://pypi.org/simple --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.installed-dev
	$(PIP_COMPILE) $(UPGRADE) --output-file requirements-dev.lock requirements-dev.txt
	$(PIP_COMPILE) --constraint requirements-dev.lock --output-file requirements.lock requirements.txt

# A pin edited in requirements*.txt without `make lock` fails here, offline: the inputs must agree with the locks.
lock-check: $(VENV)/.installed-dev
	@$(BIN)/pip install --dry-run --no-index --no-deps --quiet -r requirements-dev.txt -c requirements-dev.lock \
		&& $(BIN)/pip install --dry-run --no-index --no-deps --quiet -r requirements.txt -c requirements.lock \
		|| { echo "requirements*.txt and the lock files disagree: run make lock" >&2; exit 1; }

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty --base-url http://$(HOST):$(PORT)
	$(BIN)/daphne -b $(HOST) -p $(PORT) votetracker.asgi:application

# Deletes the embedded SQLite database and loads the demo into a new one (seed_demo --reset: refused when the database
# holds elections or accounts that are not the demo's). It stops nothing, so it refuses while a server answers on
# HOST:PORT: one left running would go on serving the old demo's results from its memory.
demo-reset: $(VENV)/.installed
	@if $(BIN)/python -c "import urllib.request; urllib.request.urlopen('http://$(HOST):$(PORT)/healthz', timeout=2)" \
		2>/dev/null; then echo "A server answers at http://$(HOST):$(PORT): stop it (Ctrl-C where make run runs)," \
		"then run make demo-reset again." >&2; exit 1; fi
	$(BIN)/python manage.py seed_demo --reset --base-url http://$(HOST):$(PORT)

# Two cores: the checks run in two lanes at once, balanced by their running time (each lane's output is printed whole
# when it ends). The server-mode and embedded suites share nothing (PostgreSQL + Redis database 15 for one, SQLite and
# local memory for the other); chaos and the Docker stack break or start only servers of their own.
LANE := $(MAKE) --no-print-directory
.PHONY: test-lane-server test-lane-embedded
test: $(VENV)/.installed-dev lock-check system-packages services newman-deps chaos-packages
	@started=$$(date +%s); phase() { echo "== make test: $$1 ($$(($$(date +%s) - started)) s so far)"; }; \
	phase "lint and types" && $(LANE) -j2 --output-sync=target lint typecheck && \
	phase "two lanes: server-mode tests, benchmark smoke | embedded tests, chaos, Docker stack" && \
	$(LANE) -j2 --output-sync=target test-lane-server test-lane-embedded && \
	phase "all passed"

test-lane-server:
	@$(LANE) pytest-server && $(LANE) bench-smoke

test-lane-embedded:
	@$(LANE) pytest-embedded && $(LANE) chaos && $(LANE) test-docker

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy .

# pytest exits 5 when it collects nothing; that must fail the build like any other failure.
pytest-server: $(VENV)/.installed-dev services
	$(SERVER_ENV) $(BIN)/pytest -p no:cacheprovider

pytest-embedded: $(VENV)/.installed-dev
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -p no:cacheprovider

services:
	@bash .ci/services

# newman runs the Postman collection in postman/ (a server-mode test); npm ci installs exactly the locked versions.
.PHONY: newman-deps
newman-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

# Benchmarks against baselines run on the same machine (bench/README.md); own database vtbench, Redis database 10.
bench: $(VENV)/.installed-dev system-packages services
	$(BIN)/python -m bench

# Every scenario at a tiny size, to keep the benchmark code working; its own database vtbench_smoke.
bench-smoke: $(VENV)/.installed-dev system-packages services
	$(BIN)/python -m bench --smoke

# Chaos tests (chaos/): an app process killed, Redis flushed and stopped, PostgreSQL stopped, during entry. They
# break only private PostgreSQL and Redis servers they start themselves on free ports, so they need the server
# programs; installing them must not start a cluster or server of its own (CI reaches the shared ones on 5432/6379).
.PHONY: chaos chaos-packages soak
chaos: $(VENV)/.installed-dev chaos-packages
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -p no:cacheprovider chaos

chaos-packages:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v redis-server >/dev/null; then \
		echo "Installing Debian packages: postgresql redis-server"; \
		mkdir -p /etc/postgresql-common/createcluster.d; \
		echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/votetracker-chaos.conf; \
		made_policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server; \
		status=$$?; if [ -n "$$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi; exit $$status; \
	fi

# A simulated election night, not part of `make test`: SOAK_MINUTES (default 30), SOAK_VIEWERS (default 1000),
# SOAK_RATE (tally sheets a second, default 2); figures in bench/results/soak.json.
soak: $(VENV)/.installed-dev chaos-packages
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m chaos.soak

# Debian's chromium drives the browser tests; docker-compose checks the compose file (no engine needed); wrk loads
# the pages in the benchmarks; nginx and openssl run the production topology test.
SYSTEM_PACKAGES := chromium:/usr/bin/chromium docker-compose:/usr/bin/docker-compose gettext:/usr/bin/msgfmt \
	wrk:/usr/bin/wrk nginx:/usr/sbin/nginx openssl:/usr/bin/openssl
system-packages:
	@missing=""; for entry in $(SYSTEM_PACKAGES); do test -x "$${entry#*:}" || missing="$$missing $${entry%%:*}"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache .pytest_cache

# The production stack (docker-compose.yml) on a real Docker engine, checked against the running containers
# (deploy/test/run.sh): starts its own dockerd when none answers, builds from Debian packages the base images it cannot
# pull, and caches them and the wheelhouse in ~/.cache/votetracker-docker. Needs root for its own dockerd.
.PHONY: test-docker
test-docker: $(VENV)/.installed-dev newman-deps
	@command -v mmdebstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap; }
	bash deploy/test/run.sh
