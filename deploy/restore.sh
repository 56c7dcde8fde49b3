#!/usr/bin/env bash
# Restore a dump made by backup.sh into the database at DATABASE_URL, then check it with `manage.py verify_audit`
# (the audit log's hash chain) and `manage.py verify_tallies` (cached results against a recount; it reads the
# Redis at REDIS_URL when set).
#
#   DATABASE_URL=postgres://user:pass@host:5432/name restore.sh [--replace] DUMP      restore, then verify
#   DATABASE_URL=... restore.sh --restore-only [--replace] DUMP                       restore only (pg_restore here)
#   DATABASE_URL=... restore.sh --verify-only                                         verify only (manage.py here)
#
# The two halves exist because in the compose setup pg_restore lives in the db image and manage.py in the app image.
# A target that already holds tables is refused unless --replace is given. The restore runs in one transaction:
# if any part fails, the target is left as it was. Exit status: 0 restored and verified, 1 a step failed,
# 2 bad arguments or settings.
set -euo pipefail

usage="usage: restore.sh [--restore-only | --verify-only] [--replace] DUMP_FILE"
fail_usage() {
  echo "restore.sh: $*" >&2
  echo "$usage" >&2
  exit 2
}

do_restore=true
do_verify=true
replace=false
dump=""
while (($#)); do
  case $1 in
    --restore-only) do_verify=false ;;
    --verify-only) do_restore=false ;;
    --replace) replace=true ;;
    -h | --help)
      echo "$usage"
      exit 0
      ;;
    -*) fail_usage "unknown option $1" ;;
    *)
      [[ -z $dump ]] || fail_usage "more than one dump file given"
      dump=$1
      ;;
  esac
  shift
done
[[ $do_restore == true || $do_verify == true ]] || fail_usage "--restore-only and --verify-only exclude each other"

database_url=${DATABASE_URL:-}
[[ -n $database_url ]] || fail_usage "DATABASE_URL (the database to restore into) is not set"
[[ $database_url =~ ^postgres(ql)?:// ]] || fail_usage "DATABASE_URL must start with postgres:// or postgresql://"

if [[ $do_restore == true ]]; then
  [[ -n $dump ]] || fail_usage "no dump file given"
  [[ -f $dump && -r $dump ]] || fail_usage "cannot read the dump file $dump"
  pg_restore --list "$dump" >/dev/null || fail_usage "$dump is not a dump pg_restore can read"
  tables=$(psql "$database_url" --no-psqlrc --tuples-only --no-align --quiet \
    --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
  if [[ $tables != 0 && $replace != true ]]; then
    fail_usage "the target database already holds $tables table(s); pass --replace to overwrite them (stop the app first)"
  fi
  # Owners and grants name the source's roles, which the target may not have.
  pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
    --dbname="$database_url" "$dump"
  echo "restore.sh: restored $dump" >&2
elif [[ -n $dump ]]; then
  fail_usage "--verify-only takes no dump file"
fi

if [[ $do_verify == true ]]; then
  project_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
  python=${PYTHON:-$(command -v python || command -v python3 || true)}
  [[ -n $python ]] || fail_usage "no python found; set PYTHON to the interpreter that runs VoteTracker"
  export DATABASE_URL=$database_url
  cd -- "$project_dir"
  "$python" manage.py verify_audit || { echo "restore.sh: verify_audit failed on the restored database" >&2; exit 1; }
  "$python" manage.py verify_tallies || { echo "restore.sh: verify_tallies failed on the restored database" >&2; exit 1; }
  echo "restore.sh: the restored database verifies" >&2
fi
