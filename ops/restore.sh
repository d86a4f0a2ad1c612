#!/usr/bin/env bash
# Restores an encrypted backup made by ops/backup.sh into DATABASE_URL (an existing database: what it holds of
# Radar's tables is replaced). Usage: ops/restore.sh <backup file>
set -euo pipefail
backup="${1:?usage: ops/restore.sh <backup file>}"
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to restore into}"
: "${RADAR_BACKUP_KEY:?set RADAR_BACKUP_KEY, the passphrase the backup was encrypted with}"
openssl enc -d -aes-256-cbc -pbkdf2 -iter 600000 -pass env:RADAR_BACKUP_KEY -in "$backup" |
  pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --dbname="$DATABASE_URL"
