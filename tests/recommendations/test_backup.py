"""A backup restored into an empty database gives back every update and every file."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from recommendations import services
from recommendations.models import Evidence, ProgressUpdate, Recommendation
from tests.environment import POSTGRES_URL, RUN_ID
from tests.factories import content

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


@pytest.fixture
def restore_database():
    """An empty PostgreSQL database of its own, dropped afterwards."""
    name = f"tip_restore_{RUN_ID}"
    admin = psycopg2.connect(urlparse(POSTGRES_URL)._replace(path="/postgres").geturl())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield urlparse(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_and_restore_into_an_empty_database(
    tmp_path, settings, focal_mex, mexico, cycle, restore_database
):
    # Given updates with evidence files
    settings.MEDIA_ROOT = tmp_path / "media"
    for number in (1, 2, 3):
        update = services.progress_update_create(
            actor=focal_mex,
            cycle=cycle,
            member_state=mexico,
            recommendation=Recommendation.objects.get(number=number),
            content=content(summary=f"Summary {number}"),
        )
        services.evidence_add(
            update=update,
            actor=focal_mex,
            upload=SimpleUploadedFile(f"evidence-{number}.pdf", PDF + bytes([number])),
        )
    files = {
        e.file.name: hashlib.sha256(e.file.read()).hexdigest()
        for e in Evidence.objects.all()
    }

    # When it is backed up, and restored elsewhere into an empty database
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive))
    restored_media = tmp_path / "restored-media"
    result = manage(
        "restore",
        str(archive),
        env={"DATABASE_URL": restore_database, "MEDIA_ROOT": str(restored_media)},
    )
    assert result.returncode == 0, result.stderr
    assert "Restored 3 progress updates and 3 files" in result.stdout

    # Then every update and every file is there, byte for byte
    with psycopg2.connect(restore_database) as restored, restored.cursor() as cursor:
        cursor.execute(
            "SELECT summary FROM recommendations_progressupdate ORDER BY summary"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "Summary 1",
            "Summary 2",
            "Summary 3",
        ]
        cursor.execute("SELECT count(*) FROM recommendations_recommendation")
        assert cursor.fetchone()[0] == 22
    for name, digest in files.items():
        assert (
            hashlib.sha256((restored_media / name).read_bytes()).hexdigest() == digest
        )
    assert ProgressUpdate.objects.count() == 3  # the source is untouched
    connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_refuses_a_database_in_use_and_a_damaged_backup(
    tmp_path, settings, focal_mex
):
    settings.MEDIA_ROOT = tmp_path / "media"
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive))
    in_use = urlparse(POSTGRES_URL)._replace(
        path=f"/{connection.settings_dict['NAME']}"
    )
    result = manage(
        "restore",
        str(archive),
        env={"DATABASE_URL": in_use.geturl(), "MEDIA_ROOT": str(tmp_path / "m")},
    )
    assert result.returncode != 0
    assert "already holds the portal's tables" in result.stderr
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[:200])
    result = manage("restore", str(damaged), env={"MEDIA_ROOT": str(tmp_path / "m")})
    assert result.returncode != 0
