#!/usr/bin/env bash
# `make test-docker`: the production stack (docker-compose.yml) on a real Docker engine, checked by
# deploy/test/test_stack.py. Starts its own dockerd when none answers (and stops it after), builds the base images
# it cannot pull from Debian's packages (base-images.sh), the application image from a wheelhouse built here, brings
# the stack up and runs the checks against it; takes everything down at the end, volumes included.
#
# CACHE_DIR (default ~/.cache/votetracker-docker) keeps the Debian roots, the wheelhouse (by the lock's hash) and the
# engine's own images between runs. KEEP_STACK=1 leaves the stack (and a dockerd this started) running.
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/deploy/test
export CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/votetracker-docker}
mkdir -p "$CACHE_DIR"
work=$(mktemp -d /tmp/vt-docker.XXXXXX)
export COMPOSE_PROJECT_NAME=vtdockertest
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
log() { printf '[test-docker %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

dockerd_pid=""
server_pid=""
compose_up=false
cleanup() {
  local status=$?
  [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
  if [[ ${KEEP_STACK:-} == 1 ]]; then
    log "KEEP_STACK=1: left running (DOCKER_HOST=${DOCKER_HOST:-default}, project $work/project, dockerd pid ${dockerd_pid:-none})"
    exit "$status"
  fi
  if [[ $compose_up == true ]]; then
    (cd "$work/project" && docker-compose -f docker-compose.yml -f compose.test.yml down --volumes --timeout 35) \
      >"$work/down.log" 2>&1 || log "compose down failed: $work/down.log"
  fi
  if [[ -n $dockerd_pid ]]; then
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
    # dockerd leaves its own network namespace mounted under the exec root.
    umount "$work/exec/netns/default" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
# 1. The engine: the one that answers, or one of ours, with its images kept in the cache directory.
if ! docker info >/dev/null 2>&1; then
  [[ $(id -u) == 0 ]] || { log "no Docker engine answers, and starting one needs root"; exit 2; }
  mkdir -p "$CACHE_DIR/dockerd"
  export DOCKER_HOST=unix://$work/docker.sock
  log "starting dockerd (data in $CACHE_DIR/dockerd)"
  /usr/sbin/dockerd --data-root "$CACHE_DIR/dockerd" --exec-root "$work/exec" --host "$DOCKER_HOST" \
    --pidfile "$work/docker.pid" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start:"; tail -20 "$work/dockerd.log" >&2; exit 1; }
fi

# 2. Base images: pulled where the registry answers is what a user does; here they are made from Debian packages.
log "base images"
PIP=$root/.venv/bin/pip bash "$here/base-images.sh" >"$work/images.env"
# shellcheck disable=SC1091
source "$work/images.env"
export VT_TEST_POSTGRES_IMAGE=$POSTGRES_IMAGE VT_TEST_REDIS_IMAGE=$REDIS_IMAGE VT_TEST_NGINX_IMAGE=$NGINX_IMAGE

# 3. The wheelhouse: the runtime lock's files, checked against its hashes, downloaded once per lock.
wheels=$CACHE_DIR/wheels-$(sha256sum "$root/requirements.lock" | cut -c1-16)
if [[ ! -d $wheels ]]; then
  log "wheelhouse for requirements.lock"
  rm -rf "$wheels.partial"
  "$root/.venv/bin/pip" download --quiet --require-hashes --only-binary=:all: --no-deps \
    -r "$root/requirements.lock" -d "$wheels.partial"
  mv "$wheels.partial" "$wheels"
fi

# 4. The application image, from the project's Dockerfile, pip reading the wheelhouse over HTTP on this host.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$wheels" "$port" >"$work/wheels.log" 2>&1 &
server_pid=$!
log "building votetracker-test/app:v1"
build_started=$(date +%s)
docker build --quiet --network host --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" --build-arg PIP_NO_INDEX=1 \
  --build-arg PIP_FIND_LINKS="http://127.0.0.1:$port/" --tag votetracker-test/app:v1 "$root" >/dev/null
kill "$server_pid"
server_pid=""
# The release the rolling deploy moves to: another image (a new ID), as a new tag of a registry would be.
printf 'FROM votetracker-test/app:v1\nLABEL org.opencontainers.image.version=v2\n' |
  docker build --quiet --tag votetracker-test/app:v2 - >/dev/null
log "app image built in $(($(date +%s) - build_started)) s"

# 5. A project directory as on a server: the compose file, .env, deploy/ (the nginx files, the scripts).
project=$work/project
mkdir -p "$project/deploy/certs" "$project/deploy/certbot-webroot"
cp "$root/docker-compose.yml" "$here/compose.test.yml" "$project/"
ln -s "$root/deploy/nginx" "$project/deploy/nginx"
cp "$root/deploy/backup.sh" "$root/deploy/restore.sh" "$root/deploy/upgrade.sh" "$project/deploy/"
secret() { python3 -c 'import secrets; print(secrets.token_hex(int('"$1"')))'; }
cat >"$project/.env" <<ENV
SECRET_KEY=$(secret 32)
ALLOWED_HOSTS=localhost,127.0.0.1
CSRF_TRUSTED_ORIGINS=http://localhost,http://127.0.0.1
TIME_ZONE=UTC
DEBUG=false
POSTGRES_PASSWORD=$(secret 24)
APP_DATABASE_PASSWORD=$(secret 24)
LOG_FORMAT=json
LOG_LEVEL=WARNING
METRICS_ALLOWED_IPS=127.0.0.1,::1,172.16.0.0/12
VOTETRACKER_IMAGE=votetracker-test/app:v1
ENV

# 6. Up, timed until every service with a health check is healthy.
log "docker-compose up"
cd "$project"
compose_up=true
up_started=$(date +%s.%N)
docker-compose -f docker-compose.yml -f compose.test.yml up -d --no-build >"$work/up.log" 2>&1 ||
  { cat "$work/up.log" >&2; docker-compose -f docker-compose.yml -f compose.test.yml logs --no-color >&2; exit 1; }
health() { docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1"; }
for _ in $(seq 240); do
  all=true
  for service in db redis app1 app2 results-worker1 results-worker2 nginx; do
    id=$(docker-compose -f docker-compose.yml -f compose.test.yml ps -q "$service")
    [[ -n $id && $(health "$id") == healthy ]] || all=false
  done
  [[ $all == true ]] && break
  sleep 0.25
done
[[ $all == true ]] || { docker-compose -f docker-compose.yml -f compose.test.yml ps >&2; exit 1; }
cold=$(python3 -c "import time; print(f'{time.time() - $up_started:.1f}')")
size=$(docker image inspect --format '{{.Size}}' votetracker-test/app:v1)
log "stack healthy $cold s after docker-compose up; app image $((size / 1000000)) MB"
# The image's budget (README, "Containers"): a change that grows it past 250 MB fails here, not in a later release.
max_image_bytes=${MAX_IMAGE_BYTES:-250000000}
((size <= max_image_bytes)) || { echo "the app image is $size bytes, over its budget of $max_image_bytes" >&2; exit 1; }
cat >"$work/figures.json" <<JSON
{"cold_start_seconds": $cold, "image_bytes": $size}
JSON

# 7. The checks.
cd "$root"
checks=0
VT_STACK_DIR=$project VT_STACK_FIGURES=$work/figures.json \
  env -u DATABASE_URL -u REDIS_URL "$root/.venv/bin/pytest" -p no:cacheprovider -v "$here" || checks=$?
# The figures (cold start, image size, the rolling deploy's requests, failures, latency and duration), pass or fail.
log "figures: $(tr -s ' \n' ' ' <"$work/figures.json")"
log "done in $(($(date +%s) - started)) s"
# pytest's own status is the script's (set -e ends it here when the checks failed; the trap cleans up).
(exit "$checks")
