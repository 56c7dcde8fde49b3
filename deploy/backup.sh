#!/usr/bin/env bash
# Back up VoteTracker's PostgreSQL database: one `pg_dump --format=custom` into BACKUP_DIR, named by UTC time, then
# delete all but the newest BACKUP_KEEP dumps there.
#
#   DATABASE_URL=postgres://user:pass@host:5432/name [BACKUP_DIR=/var/backups/votetracker] [BACKUP_KEEP=14] backup.sh
#
# Prints the path of the new dump. A dump that fails, or that pg_restore cannot read back, leaves no file behind
# and deletes no older one. Exit status: 0 done, 1 pg_dump or the check failed, 2 bad settings.
set -euo pipefail

fail_usage() {
  echo "backup.sh: $*" >&2
  exit 2
}

database_url=${DATABASE_URL:-}
backup_dir=${BACKUP_DIR:-/var/backups/votetracker}
keep=${BACKUP_KEEP:-14}

[[ -n $database_url ]] || fail_usage "DATABASE_URL is not set; expected postgres://user:pass@host:5432/name"
[[ $database_url =~ ^postgres(ql)?:// ]] || fail_usage "DATABASE_URL must start with postgres:// or postgresql://"
[[ $keep =~ ^[1-9][0-9]{0,4}$ ]] || fail_usage "BACKUP_KEEP must be a whole number from 1 to 99999, got '$keep'"

# Dumps hold password hashes and every entry: readable by their owner only.
umask 077
mkdir -p -- "$backup_dir"

# Fixed-width UTC names sort in time order, which the pruning below relies on.
target="$backup_dir/votetracker-$(date -u +%Y%m%dT%H%M%SZ).dump"
[[ ! -e $target ]] || fail_usage "$target already exists; wait a second and run again"
partial="$target.partial"
trap 'rm -f -- "$partial"' EXIT

pg_dump --format=custom --dbname="$database_url" --file="$partial"
# Reading the table of contents back catches a truncated file before any older dump is pruned.
pg_restore --list "$partial" >/dev/null
mv -- "$partial" "$target"
echo "$target"

shopt -s nullglob
export LC_ALL=C
dumps=("$backup_dir"/votetracker-????????T??????Z.dump)
excess=$((${#dumps[@]} - keep))
for ((i = 0; i < excess; i++)); do
  rm -f -- "${dumps[i]}"
  echo "backup.sh: removed ${dumps[i]} (keeping the newest $keep)" >&2
done
