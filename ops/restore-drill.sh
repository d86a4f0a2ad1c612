#!/usr/bin/env bash
# The restore drill: the newest backup of $BACKUP_DIR (or the file given) restored into a fresh database on the
# same server as DATABASE_URL, then checked by `manage.py restore_check` (every migration applied, the tables
# read, a user served their pages). The drill's database is dropped afterwards, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL: the drill restores onto the same PostgreSQL server}"
backup="${1:-$(ls -1t "${BACKUP_DIR:-backups}"/radar-*.dump.enc 2>/dev/null | head -n 1)}"
if [ -z "$backup" ] || [ ! -f "$backup" ]; then
  echo "no backup to drill with (make backup first, or give a file)" >&2
  exit 1
fi
drill_name="radar_restore_drill_$(date -u +%Y%m%d%H%M%S)"
# The same server and credentials, another database: the drill's own, and the maintenance database to create it.
url_for() {
  .venv/bin/python -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
    "$DATABASE_URL" "$1"
}
drill_url="$(url_for "$drill_name")"
maintenance_url="$(url_for postgres)"
trap 'psql -q "$maintenance_url" -c "DROP DATABASE IF EXISTS \"$drill_name\" WITH (FORCE)" >/dev/null' EXIT
psql -q "$maintenance_url" -c "CREATE DATABASE \"$drill_name\"" >/dev/null
echo "== restoring $backup into $drill_name"
DATABASE_URL="$drill_url" ops/restore.sh "$backup"
echo "== checking the restored database"
DATABASE_URL="$drill_url" .venv/bin/python manage.py restore_check
