"""Backups: `manage.py restore_check` (the drill's check) on both databases; on PostgreSQL, an encrypted backup of
the test database restored by the drill into a fresh database and checked there, and refused with a wrong key."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from tests import factories

OPS = Path(settings.BASE_DIR) / "ops"


@pytest.mark.django_db
def test_restore_check_passes_on_a_database_radar_serves_from(world, capsys):
    factories.CaseFactory(pupil__school=world.school)
    call_command("restore_check")
    output = capsys.readouterr().out
    assert "cases: 1" in output and "pages 200" in output


@pytest.mark.django_db
def test_restore_check_fails_on_an_empty_database():
    with pytest.raises(CommandError, match="No active user"):
        call_command("restore_check")


def run(script: str, *args: str, key: str, backup_dir: Path) -> subprocess.CompletedProcess:
    database = connection.settings_dict
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    url = f"postgres://{database['USER']}@{host}:{port}/{database['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "RADAR_BACKUP_KEY": key, "BACKUP_DIR": str(backup_dir), "DEBUG": "1"}
    if database["PASSWORD"]:
        env["PGPASSWORD"] = database["PASSWORD"]
    return subprocess.run(  # noqa: S603 (our own scripts)
        [str(OPS / script), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_an_encrypted_backup_restores_into_a_fresh_database_and_serves(world, tmp_path):
    factories.CaseFactory(pupil__school=world.school)
    made = run("backup.sh", key="a passphrase kept apart", backup_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    assert backup.parent == tmp_path and oct(backup.stat().st_mode & 0o777) == "0o600"
    assert b"PGDMP" not in backup.read_bytes()[:64]  # encrypted: not pg_dump's own header

    drilled = run("restore-drill.sh", key="a passphrase kept apart", backup_dir=tmp_path)
    assert drilled.returncode == 0, drilled.stderr
    assert "cases: 1" in drilled.stdout and "pages 200" in drilled.stdout

    refused = run("restore-drill.sh", key="a wrong passphrase", backup_dir=tmp_path)
    assert refused.returncode != 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_backup_deletes_the_backups_older_than_the_rotation(tmp_path):
    expired, kept = tmp_path / "radar-20250101T000000Z.dump.enc", tmp_path / "radar-20260101T000000Z.dump.enc"
    for old, days in ((expired, 40), (kept, 30)):
        old.write_bytes(b"old")
        moment = time.time() - days * 86400
        os.utime(old, (moment, moment))
    made = run("backup.sh", key="k", backup_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    assert not expired.exists() and kept.exists() and Path(made.stdout.strip()).exists()
