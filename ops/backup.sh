#!/usr/bin/env bash
# An encrypted backup of Radar's PostgreSQL database: pg_dump's custom format, encrypted with AES-256-CBC by
# openssl under a key derived (PBKDF2, 600,000 iterations) from RADAR_BACKUP_KEY. Written whole or not at all, as
# $BACKUP_DIR/radar-<UTC time>.dump.enc, readable by its owner only. Prints the file's name. Then the rotation:
# backups more than BACKUP_KEEP_DAYS days old (35) are deleted, so that what the retention periods remove from the
# database is gone from every backup that many days later (README, "Backups").
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to back up}"
: "${RADAR_BACKUP_KEY:?set RADAR_BACKUP_KEY, the passphrase backups are encrypted with (kept apart from them)}"
dir="${BACKUP_DIR:-backups}"
umask 077
mkdir -p "$dir"
file="$dir/radar-$(date -u +%Y%m%dT%H%M%SZ).dump.enc"
trap 'rm -f "$file.partial"' EXIT
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" |
  openssl enc -aes-256-cbc -pbkdf2 -iter 600000 -salt -pass env:RADAR_BACKUP_KEY -out "$file.partial"
mv "$file.partial" "$file"
find "$dir" -maxdepth 1 -name 'radar-*.dump.enc' -mtime +"${BACKUP_KEEP_DAYS:-35}" -delete
echo "$file"
