#!/usr/bin/env bash
# Back up the PostgreSQL database named by DATABASE_URL with pg_dump (custom format, compressed).
#
#   DATABASE_URL=postgres://user@host:5432/collections scripts/backup.sh [OUTPUT_DIR]
#
# Writes OUTPUT_DIR/collections-<database>-<UTC timestamp>.dump (default dir: $BACKUP_DIR or
# ./backups), readable by its owner only (it holds personal data), and prints its path as the
# last line. With BACKUP_KEEP_DAYS set, dumps of the same database older than that are removed
# afterwards. See docs/BACKUP.md.
set -euo pipefail

fail() { echo "backup.sh: $*" >&2; exit 2; }

url="${DATABASE_URL:-}"
[[ -n "$url" ]] || fail "DATABASE_URL is not set. Set it to the PostgreSQL database to back up (postgres://user@host:5432/name)."
case "$url" in
  postgres://*|postgresql://*) ;;
  *) fail "DATABASE_URL is not a PostgreSQL database (${url%%:*}://...). Only PostgreSQL is backed up with this script; the embedded SQLite demo is one file you can copy." ;;
esac
command -v pg_dump >/dev/null || fail "pg_dump is not on PATH: install the PostgreSQL client tools of the server's major version or newer."

dbname="${url##*/}"
dbname="${dbname%%\?*}"
[[ "$dbname" =~ ^[A-Za-z0-9_.-]+$ ]] || fail "cannot read a database name from DATABASE_URL."

out_dir="${1:-${BACKUP_DIR:-backups}}"
mkdir -p "$out_dir"
umask 077
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
file="$out_dir/collections-$dbname-$stamp.dump"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT

# Written under a temporary name and renamed only when complete: a crashed run leaves no file
# that looks like a good backup.
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" --dbname="$url"
mv "$partial" "$file"
trap - EXIT

if [[ -n "${BACKUP_KEEP_DAYS:-}" ]]; then
  [[ "$BACKUP_KEEP_DAYS" =~ ^[0-9]+$ ]] || fail "BACKUP_KEEP_DAYS must be a whole number of days."
  find "$out_dir" -maxdepth 1 -name "collections-$dbname-*.dump" -mtime +"$BACKUP_KEEP_DAYS" -print -delete >&2
fi

echo "backup.sh: $(du -h "$file" | cut -f1) written" >&2
echo "$file"
