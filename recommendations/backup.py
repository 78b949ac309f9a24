"""Back up and restore everything the portal keeps: the database and the uploaded files.

A backup is one .tar.gz: the database (PostgreSQL's own dump format, or a copy of the
SQLite file), the media folder (evidence and report PDFs), and a manifest with the
counts and a SHA-256 of every file, which a restore checks before it says it is done.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from recommendations.models import Evidence, ProgressUpdate

FORMAT = 1


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _postgres_env() -> tuple[list[str], dict]:
    """Connection arguments for pg_dump/pg_restore, the password in the environment."""
    db = settings.DATABASES["default"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    args = [
        "--host",
        db.get("HOST") or "localhost",
        "--port",
        str(db.get("PORT") or 5432),
    ]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    return args, env


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed; install PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client)."
        )
    return path


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def create_backup(output: Path) -> dict:
    """Write a backup of the database and media to ``output``; return its manifest."""
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if _is_sqlite():
            dump = scratch / "database.sqlite3"
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            target = sqlite3.connect(dump)
            with target:
                source.backup(target)  # consistent even while the portal writes
            source.close()
            target.close()
        else:
            dump = scratch / "database.dump"
            args, env = _postgres_env()
            result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                [
                    _program("pg_dump"),
                    *args,
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(dump),
                    settings.DATABASES["default"]["NAME"],
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        files = (
            {
                str(path.relative_to(media)): _sha256(path)
                for path in sorted(media.rglob("*"))
                if path.is_file()
            }
            if media.exists()
            else {}
        )
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": connection.vendor,
            "database_file": dump.name,
            "database_sha256": _sha256(dump),
            "progress_updates": ProgressUpdate.objects.count(),
            "evidence_files": Evidence.objects.count(),
            "media": files,
        }
        (scratch / "manifest.json").write_text(json.dumps(manifest, indent=1))
        output.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(output, "w:gz") as archive:
            archive.add(scratch / "manifest.json", arcname="manifest.json")
            archive.add(dump, arcname=dump.name)
            for name in files:
                archive.add(media / name, arcname=f"media/{name}")
    return manifest


def _database_is_empty() -> bool:
    return (
        "recommendations_progressupdate" not in connection.introspection.table_names()
    )


def restore_backup(archive_path: Path, *, force: bool = False) -> dict:
    """Restore a backup into the configured, empty database and media folder."""
    if not force and not _database_is_empty():
        raise BackupError(
            "The database already holds the portal's tables. Restore into an empty "
            "database, or pass --force to replace what is there."
        )
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(scratch, filter="data")
        manifest = json.loads((scratch / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError("This backup was made by another version of the portal.")
        dump = scratch / manifest["database_file"]
        if _sha256(dump) != manifest["database_sha256"]:
            raise BackupError("The database dump in the backup is damaged.")
        for name, digest in manifest["media"].items():
            if _sha256(scratch / "media" / name) != digest:
                raise BackupError(f"The file {name} in the backup is damaged.")
        if manifest["engine"] != connection.vendor:
            raise BackupError(
                f"This backup is of a {manifest['engine']} database; the portal is "
                f"configured for {connection.vendor}."
            )
        connection.close()
        if _is_sqlite():
            shutil.copyfile(dump, settings.DATABASES["default"]["NAME"])
        else:
            args, env = _postgres_env()
            result = subprocess.run(  # noqa: S603
                [
                    _program("pg_restore"),
                    *args,
                    "--no-owner",
                    "--clean",
                    "--if-exists",
                    "--dbname",
                    settings.DATABASES["default"]["NAME"],
                    str(dump),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
        for name in manifest["media"]:
            target = media / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(scratch / "media" / name, target)
    restored = {
        "progress_updates": ProgressUpdate.objects.count(),
        "evidence_files": Evidence.objects.count(),
    }
    for key, count in restored.items():
        if count != manifest[key]:
            raise BackupError(
                f"Restored {count} {key}, the backup holds {manifest[key]}."
            )
    return manifest


def default_name() -> str:
    return f"tip-portal-backup-{timezone.now():%Y%m%dT%H%M%SZ}.tar.gz"
