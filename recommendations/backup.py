"""Back up and restore everything the portal keeps: the database and the uploaded files.

A backup is one .tar.gz: the database (PostgreSQL's own dump format, or a copy of the
SQLite file), the media folder (evidence and report PDFs), and a manifest with the
counts and a SHA-256 of every file, which a restore checks before it says it is done.

With age public keys in ``BACKUP_AGE_RECIPIENTS`` the archive is encrypted to them
(``.tar.gz.age``); only the holder of a private key, kept off the server, can read or
restore it. The daily backup (``backup_daily``, run by beat) lands in ``BACKUP_DIR``,
is copied to the ``backups`` storage when one is configured (S3-compatible, through
django-storages), and then the oldest beyond ``BACKUP_KEEP`` are removed from each.
"""

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pyrage
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connection
from django.utils import timezone

from recommendations.models import Evidence, ProgressUpdate

FORMAT = 1
PREFIX = "tip-portal-backup-"
# Only the files this module named are ever removed by the retention.
DAILY_NAME = re.compile(rf"{PREFIX}\d{{8}}T\d{{6}}Z\.tar\.gz(\.age)?")
AGE_HEADER = b"age-encryption.org/v1"

logger = logging.getLogger(__name__)


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


def backup_path(output: Path) -> Path:
    """Where ``create_backup(output)`` writes: with ``.age`` added when encrypting."""
    if settings.BACKUP_AGE_RECIPIENTS and output.suffix != ".age":
        return output.with_name(f"{output.name}.age")
    return output


def create_backup(output: Path) -> dict:
    """Write a backup of the database and media to ``backup_path(output)``, encrypted
    when age recipients are configured; return its manifest."""
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        if _is_sqlite():
            dump = scratch / "database.sqlite3"
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            copy = sqlite3.connect(dump)
            with copy:
                source.backup(copy)  # consistent even while the portal writes
            source.close()
            copy.close()
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
        plain = scratch / "backup.tar.gz"
        with tarfile.open(plain, "w:gz") as archive:
            archive.add(scratch / "manifest.json", arcname="manifest.json")
            archive.add(dump, arcname=dump.name)
            for name in files:
                archive.add(media / name, arcname=f"media/{name}")
        target = backup_path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        if settings.BACKUP_AGE_RECIPIENTS:
            _encrypt(plain, target, settings.BACKUP_AGE_RECIPIENTS)
        else:
            shutil.move(plain, target)
    return manifest


def _encrypt(plain: Path, target: Path, recipients: list[str]) -> None:
    keys = [pyrage.x25519.Recipient.from_str(key) for key in recipients]
    partial = target.with_name(f".{target.name}.partial")
    try:
        pyrage.encrypt_file(str(plain), str(partial), keys)
        partial.replace(target)  # never a half-written backup under the final name
    finally:
        partial.unlink(missing_ok=True)


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(AGE_HEADER)) == AGE_HEADER


def _decrypt(archive: Path, target: Path, identity: Path) -> None:
    """Decrypt with the private key(s) of an age identity file (``age-keygen``'s)."""
    try:
        keys = [
            pyrage.x25519.Identity.from_str(line.strip())
            for line in identity.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
    except pyrage.IdentityError:
        raise BackupError(f"{identity} is not an age identity file.") from None
    try:
        pyrage.decrypt_file(str(archive), str(target), keys)
    except pyrage.DecryptError:
        raise BackupError(
            f"{archive} cannot be decrypted with the keys in {identity}."
        ) from None


def _database_is_empty() -> bool:
    return (
        "recommendations_progressupdate" not in connection.introspection.table_names()
    )


def restore_backup(
    archive_path: Path, *, force: bool = False, identity: Path | None = None
) -> dict:
    """Restore a backup into the configured, empty database and media folder; an
    encrypted one with the private key in the age identity file ``identity``."""
    if not force and not _database_is_empty():
        raise BackupError(
            "The database already holds the portal's tables. Restore into an empty "
            "database, or pass --force to replace what is there."
        )
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        if is_encrypted(archive_path):
            if identity is None:
                raise BackupError(
                    "This backup is encrypted: give the age identity file that holds "
                    "its private key (--identity)."
                )
            _decrypt(archive_path, scratch / "backup.tar.gz", identity)
            archive_path = scratch / "backup.tar.gz"
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
    return f"{PREFIX}{timezone.now():%Y%m%dT%H%M%SZ}.tar.gz"


def backups_prune(*, storage: Storage, keep: int, newest: str) -> list[str]:
    """Remove the oldest daily backups in ``storage`` beyond the ``keep`` newest;
    ``newest``, the one just made, is never among them. Returns the names removed."""
    _folders, files = storage.listdir("")
    dated = sorted(name for name in files if DAILY_NAME.fullmatch(name))
    older = [name for name in dated if name != newest]
    removed = older[: max(len(older) - (keep - 1), 0)]
    for name in removed:
        storage.delete(name)
    return removed


def backup_daily() -> Path:
    """Back up into BACKUP_DIR, copy to the ``backups`` storage if there is one, then
    keep the BACKUP_KEEP newest in each. A failed backup removes nothing."""
    folder = Path(settings.BACKUP_DIR)
    path = backup_path(folder / default_name())
    manifest = create_backup(path)
    logger.info(
        "Backup %s written: %s progress updates, %s files",
        path.name,
        manifest["progress_updates"],
        len(manifest["media"]),
    )
    places: list[tuple[str, Storage, str]] = [
        ("local", FileSystemStorage(location=folder), path.name)
    ]
    if "backups" in settings.STORAGES:
        remote = storages["backups"]
        with path.open("rb") as handle:
            saved = remote.save(path.name, File(handle))
        logger.info("Backup %s copied to the backups storage", saved)
        places.append(("remote", remote, saved))
    for place, storage, newest in places:
        for name in backups_prune(
            storage=storage, keep=settings.BACKUP_KEEP, newest=newest
        ):
            logger.info("Backup %s removed from the %s copies", name, place)
    return path
