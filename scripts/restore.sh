#!/usr/bin/env bash
# Restore a backup made by backup.sh into a NEW database, then prove it: migrations complete and
# every cached balance equal to the ledger.
#
#   scripts/restore.sh DUMP_FILE TARGET_DATABASE_URL [--force]
#
# The target database is created when it does not exist. A database that already holds tables is
# refused unless --force is given (then its objects are dropped and replaced). Exit codes: 0 the
# restore is good; 1 the restored database fails `migrate --check` or `reconcile_ledger`;
# 2 refused or the restore itself failed. See docs/BACKUP.md.
set -euo pipefail

fail() { echo "restore.sh: $*" >&2; exit 2; }
usage="usage: scripts/restore.sh DUMP_FILE TARGET_DATABASE_URL [--force]"

force=0
args=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) args+=("$arg") ;;
  esac
done
[[ ${#args[@]} -eq 2 ]] || fail "$usage"
dump="${args[0]}"
url="${args[1]}"

[[ -r "$dump" ]] || fail "cannot read the dump file $dump."
case "$url" in
  postgres://*|postgresql://*) ;;
  *) fail "the target must be a PostgreSQL URL (postgres://user@host:5432/name), not ${url%%:*}://..." ;;
esac
for tool in pg_restore psql; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH: install the PostgreSQL client tools."
done
pg_restore --list "$dump" >/dev/null 2>&1 || fail "$dump is not a pg_dump custom-format archive (make backups with scripts/backup.sh)."

base="${url%%\?*}"
query=""
[[ "$url" == *\?* ]] && query="?${url#*\?}"
dbname="${base##*/}"
[[ "$dbname" =~ ^[A-Za-z0-9_]+$ ]] || fail "use a target database name of letters, digits and underscores only (got '$dbname')."
maintenance="${base%/*}/postgres$query"

exists="$(psql "$maintenance" -XtAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")"
if [[ "$exists" != "1" ]]; then
  echo "restore.sh: creating database $dbname" >&2
  psql "$maintenance" -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$dbname\""
fi

tables="$(psql "$url" -XtAc "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'")"
clean=()
if [[ "$tables" != "0" ]]; then
  if [[ $force -eq 0 ]]; then
    fail "database $dbname is not empty ($tables tables). Restore into a new database, or give --force to drop its contents and replace them."
  fi
  echo "restore.sh: --force: replacing the $tables tables of $dbname" >&2
  clean=(--clean --if-exists)
fi

# One transaction: a restore that fails part-way leaves the target as it was.
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction "${clean[@]}" --dbname="$url" "$dump" \
  || fail "pg_restore failed; the target database was left unchanged."
echo "restore.sh: restored $dump into $dbname" >&2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python="python3"; fi
fi

status=0
if ! DATABASE_URL="$url" "$python" "$root/manage.py" migrate --check; then
  echo "restore.sh: the restored database lacks migrations this code expects (run manage.py migrate against it, or restore with the matching release)." >&2
  status=1
fi
if ! DATABASE_URL="$url" "$python" "$root/manage.py" reconcile_ledger; then
  echo "restore.sh: the restored ledger does NOT reconcile: do not use this database." >&2
  status=1
fi
[[ $status -eq 0 ]] && echo "restore.sh: $dbname is good: migrations complete, ledger reconciles." >&2
exit $status
