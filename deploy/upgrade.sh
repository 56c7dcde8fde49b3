#!/usr/bin/env bash
# Move a running VoteTracker stack to another release of the image, one container at a time, without dropping a request
# (docs/deploy.md, "Upgrades"). Run it in the directory that holds docker-compose.yml and .env, or anywhere: it goes to
# the directory above its own.
#
#   deploy/upgrade.sh [--no-pull] [--no-migrate] IMAGE        e.g. deploy/upgrade.sh ghcr.io/example/votetracker:v1.1.0
#
# 1. Writes VOTETRACKER_IMAGE=IMAGE into .env (so a later `docker compose up -d` runs the same release).
# 2. Pulls the image (--no-pull: it is already on this host, built or loaded here).
# 3. Runs the one-shot `migrate` service on the new image and waits for it to exit 0 (--no-migrate: a rollback).
# 4. One at a time, each running service of the app image whose container runs another: the replicas nginx
#    proxies to (app1, app2) first, then the others (the results workers). Each is recreated on the new image (a
#    replica closes its WebSockets with 1012 and finishes the requests in flight while nginx sends new ones to the
#    other; a worker hands its lead to the one standing by) and waited for until it is healthy (its own health
#    check, asked every half second, passes); after a replica, nginx is reloaded, so that it looks the replica's
#    (possibly new) address up again.
# 5. Checks /readyz inside each replica.
#
# PostgreSQL, Redis and nginx are left running as they are. Settings: COMPOSE, the compose command (default
# `docker compose` where that plugin answers, else `docker-compose`; COMPOSE_FILE and COMPOSE_PROJECT_NAME are read by
# both); UPGRADE_SERVICES, the services to replace in order (default: as above); UPGRADE_HEALTH_SECONDS (default 180),
# how long one may take to turn healthy. Exit status: 0 upgraded, 1 a step failed (the services not yet replaced keep
# the old release, and the old .env line is put back if none was replaced), 2 bad arguments.
set -euo pipefail

usage="usage: upgrade.sh [--no-pull] [--no-migrate] IMAGE"
fail_usage() {
  echo "upgrade.sh: $*" >&2
  echo "$usage" >&2
  exit 2
}
say() { printf 'upgrade.sh [%3d s] %s\n' "$SECONDS" "$*" >&2; }

pull=true
migrate=true
image=""
while (($#)); do
  case $1 in
    --no-pull) pull=false ;;
    --no-migrate) migrate=false ;;
    -h | --help)
      echo "$usage"
      exit 0
      ;;
    -*) fail_usage "unknown option $1" ;;
    *)
      [[ -z $image ]] || fail_usage "more than one image given"
      image=$1
      ;;
  esac
  shift
done
[[ -n $image ]] || fail_usage "no image given"
[[ $image =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] || fail_usage "'$image' is not an image reference"
health_seconds=${UPGRADE_HEALTH_SECONDS:-180}
[[ $health_seconds =~ ^[1-9][0-9]{0,4}$ ]] || fail_usage "UPGRADE_HEALTH_SECONDS must be a whole number of seconds"

cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."
[[ -f docker-compose.yml && -f .env ]] || fail_usage "no docker-compose.yml and .env in $(pwd)"

if [[ -n ${COMPOSE:-} ]]; then
  read -r -a compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  compose=(docker-compose)
fi

# One upgrade at a time on this host (a lock on the directory itself, so no file is left behind).
exec 9<.
if command -v flock >/dev/null; then
  flock --nonblock 9 || { say "another upgrade is running here"; exit 1; }
fi

started=$(date +%s)
previous=$(sed -n 's/^VOTETRACKER_IMAGE=//p' .env | tail -n 1)
set_image() {
  local rest
  rest=$(grep -v '^VOTETRACKER_IMAGE=' .env || true)
  printf '%s\nVOTETRACKER_IMAGE=%s\n' "$rest" "$1" >.env.upgrade
  chmod --reference=.env .env.upgrade
  mv .env.upgrade .env
}
replaced=0
on_exit() {
  local status=$?
  if ((status != 0 && replaced == 0)) && [[ -n $previous ]]; then
    set_image "$previous"
    say "failed before any service was replaced: .env names $previous again"
  elif ((status != 0)); then
    say "failed after $replaced service(s) moved to $image;" \
      "finish with: deploy/upgrade.sh --no-pull --no-migrate $image"
  fi
}
trap on_exit EXIT

container_of() { "${compose[@]}" ps -q "$1" | head -n 1; }
# nginx proxies to the services its upstream names (deploy/nginx/upstream.conf).
proxied() { grep -Eq "^[[:space:]]*server[[:space:]]+$1:" deploy/nginx/upstream.conf 2>/dev/null; }

say "${previous:-the default image} -> $image" \
  "(roll back with: deploy/upgrade.sh --no-migrate ${previous:-<previous image>})"
set_image "$image"

if [[ $pull == true ]]; then
  say "pulling $image"
  docker pull --quiet "$image" >/dev/null
fi
docker image inspect "$image" >/dev/null 2>&1 || { say "no image $image on this host"; exit 1; }

target=$(docker image inspect --format '{{.Id}}' "$image")
if [[ -n ${UPGRADE_SERVICES:-} ]]; then
  read -r -a services <<<"$UPGRADE_SERVICES"
else
  # The services compose now runs from the new image (all but the one-shot migrate), where a container runs another.
  declare -A running=()
  mapfile -t ids < <("${compose[@]}" ps -q)
  if ((${#ids[@]})); then
    while read -r service service_image status; do
      if [[ $status == running ]]; then running[$service]=$service_image; fi
    done < <(docker inspect \
      --format '{{index .Config.Labels "com.docker.compose.service"}} {{.Image}} {{.State.Status}}' "${ids[@]}")
  fi
  first=() others=()
  while read -r service service_image; do
    [[ $service != migrate && $service_image == "$image" && -n ${running[$service]:-} ]] || continue
    [[ ${running[$service]} != "$target" ]] || continue
    if proxied "$service"; then first+=("$service"); else others+=("$service"); fi
  done < <("${compose[@]}" config | awk '
    /^services:/ { inside = 1; next }
    inside && /^[^ ]/ { inside = 0 }
    inside && /^  [^ ]/ { service = $1; sub(/:$/, "", service) }
    inside && /^    image: / { print service, $2 }')
  services=("${first[@]}" "${others[@]}")
fi
replicas=()
for service in "${services[@]}"; do
  if proxied "$service"; then replicas+=("$service"); fi
done
say "to replace, one at a time: ${services[*]:-none}"

if [[ $migrate == true ]]; then
  say "migrate"
  "${compose[@]}" up -d --no-deps migrate
  # It may have exited already: ask for stopped containers too.
  id=$("${compose[@]}" ps -a -q migrate | head -n 1)
  code=$(docker wait "$id")
  if [[ $code != 0 ]]; then
    "${compose[@]}" logs --no-color --tail=50 migrate >&2 || true
    say "migrate exited $code; the services still run ${previous:-the previous image}"
    exit 1
  fi
fi

# Docker runs a container's health check only every `interval` (10 s for the image's): ask the same check ourselves
# every half second, and take either answer.
check_command() {
  local id=$1 count i
  count=$(docker inspect --format '{{if .Config.Healthcheck}}{{len .Config.Healthcheck.Test}}{{else}}0{{end}}' "$id")
  check=()
  for ((i = 0; i < count; i++)); do
    check+=("$(docker inspect --format "{{index .Config.Healthcheck.Test $i}}" "$id")")
  done
  case ${check[0]:-NONE} in
    CMD) check=("${check[@]:1}") ;;
    CMD-SHELL) check=(/bin/sh -c "${check[1]}") ;;
    *) check=() ;;
  esac
}

wait_healthy() {
  local service=$1 id state deadline=$((SECONDS + health_seconds))
  id=$(container_of "$service")
  check_command "$id"
  while :; do
    state=$(docker inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
    case $state in
      # Healthy, or running where the service has no health check.
      "running healthy" | "running ") return 0 ;;
      "running starting")
        if ((${#check[@]})) && timeout 5 docker exec "$id" "${check[@]}" >/dev/null 2>&1; then return 0; fi
        ;;
      exited* | dead* | "running unhealthy")
        "${compose[@]}" logs --no-color --tail=50 "$service" >&2 || true
        say "$service is $state on $image"
        return 1
        ;;
    esac
    if ((SECONDS >= deadline)); then
      say "$service not healthy after $health_seconds s ($state)"
      return 1
    fi
    sleep 0.5
  done
}

for service in "${services[@]}"; do
  say "$service"
  "${compose[@]}" up -d --no-deps "$service"
  wait_healthy "$service"
  replaced=$((replaced + 1))
  # nginx resolves the replicas' names when it loads its configuration: a recreated container may have a new address.
  if proxied "$service"; then "${compose[@]}" exec -T nginx nginx -s reload; fi
done

for service in "${replicas[@]}"; do
  "${compose[@]}" exec -T "$service" python -c \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=5)" ||
    { say "$service: /readyz does not answer 200"; exit 1; }
done
say "done: ${services[*]:-nothing} replaced, running $image ($(($(date +%s) - started)) s)"
