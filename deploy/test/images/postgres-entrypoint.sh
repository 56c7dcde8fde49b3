#!/bin/bash
# What docker-compose.yml needs of the official postgres image: on an empty data directory, a cluster whose
# superuser is POSTGRES_USER with POSTGRES_PASSWORD and a database POSTGRES_DB; local socket trusted, TCP by
# scram-sha-256; then the server in the foreground as the postgres user.
set -euo pipefail
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [[ ${1:-} != postgres ]]; then exec "$@"; fi
user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  [[ -n ${POSTGRES_PASSWORD:-} ]] || { echo "postgres-entrypoint: POSTGRES_PASSWORD is not set" >&2; exit 1; }
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [[ $database != postgres ]]; then
    echo "CREATE DATABASE \"$database\";" | as_postgres postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
  echo "postgres-entrypoint: initialised $PGDATA (user $user, database $database)" >&2
fi
shift
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -c listen_addresses='*' "$@"
