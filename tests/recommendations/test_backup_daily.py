"""Backups that run themselves: beat's daily backup, the BACKUP_KEEP newest kept, the
archive encrypted to an age public key, a copy in S3-compatible storage (moto's S3,
in this process)."""

import json
import tarfile

import boto3
import pyrage
import pytest
from celery.schedules import crontab
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from moto import mock_aws

from portal.celery import app
from recommendations import backup, services
from recommendations.models import Recommendation
from recommendations.tasks import backup_daily
from tests.django_process import start_django
from tests.factories import content
from tests.recommendations.test_backup import (
    PDF,
    manage,
    restore_database,  # noqa: F401 - a fixture
)

OLD = [f"tip-portal-backup-2026110{day}T030000Z.tar.gz" for day in (1, 2, 3, 4)]
NOT_OURS = ["notes.txt", "tip-portal-backup-before-upgrade.tar.gz"]


@pytest.fixture
def backups(settings, tmp_path):
    """BACKUP_DIR with four daily backups of other days and two files of a person's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_DIR.mkdir()
    for name in OLD + NOT_OURS:
        (settings.BACKUP_DIR / name).write_bytes(b"an older backup")
    return settings.BACKUP_DIR


def test_beat_backs_up_daily_at_the_configured_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["daily-backup"]
    assert entry["task"] == "portal.backup_daily" == backup_daily.name
    assert entry["schedule"] == crontab(hour=3, minute=0)
    assert "portal.backup_daily" in app.tasks  # the worker knows it


SHOW = (
    "import django; django.setup(); from django.conf import settings; "
    "entry = settings.CELERY_BEAT_SCHEDULE.get('daily-backup'); "
    "print(entry and sorted(entry['schedule'].hour), settings.BACKUP_KEEP, "
    "settings.STORAGES.get('backups', {}).get('BACKEND'))"
)


def test_backup_settings_from_the_environment():
    assert start_django(SHOW, DEBUG="1").stdout.split() == ["[3]", "14", "None"]
    configured = start_django(
        SHOW, DEBUG="1", BACKUP_HOUR="22", BACKUP_KEEP="30", BACKUP_S3_BUCKET="b"
    )
    assert configured.stdout.split() == [
        "[22]",
        "30",
        "storages.backends.s3.S3Storage",
    ], configured.stderr
    assert start_django(SHOW, DEBUG="1", BACKUP_HOUR="off").stdout.startswith("None")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("BACKUP_HOUR", "24", "is not an hour from 0 to 23"),
        ("BACKUP_HOUR", "3am", "is not an hour from 0 to 23"),
        ("BACKUP_KEEP", "0", "must keep at least 1"),
        ("BACKUP_AGE_RECIPIENTS", "ssh-rsa AAAA", "is not an age public key"),
        ("BACKUP_AGE_RECIPIENTS", "a private key", "holds a private key"),
    ],
)
def test_backup_settings_that_make_no_sense_are_refused(variable, value, message):
    if value == "a private key":
        value = str(pyrage.x25519.Identity.generate())
    result = start_django(DEBUG="1", **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr
    if "private" in message:
        assert value not in result.stderr  # a private key is never printed


@pytest.mark.django_db
def test_the_daily_backup_keeps_the_newest_and_removes_the_oldest(settings, backups):
    settings.BACKUP_KEEP = 3

    name = backup_daily.apply().get()

    assert sorted(path.name for path in backups.iterdir()) == sorted(
        [OLD[2], OLD[3], name, *NOT_OURS]
    )
    with tarfile.open(backups / name) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    assert manifest["format"] == backup.FORMAT


@pytest.mark.django_db
def test_keeping_one_keeps_the_new_backup(settings, backups):
    settings.BACKUP_KEEP = 1

    name = backup_daily.apply().get()

    assert sorted(path.name for path in backups.iterdir()) == sorted([name, *NOT_OURS])


@pytest.mark.django_db
def test_a_failed_backup_removes_nothing(settings, backups, monkeypatch):
    settings.BACKUP_KEEP = 1

    def pg_dump_fails(output):
        raise backup.BackupError("pg_dump failed: the server went away")

    monkeypatch.setattr(backup, "create_backup", pg_dump_fails)
    with pytest.raises(backup.BackupError):
        backup_daily.apply().get()

    assert sorted(path.name for path in backups.iterdir()) == sorted(OLD + NOT_OURS)


@pytest.mark.django_db
def test_by_hand_without_output_it_does_what_the_daily_backup_does(
    settings, backups, capsys
):
    settings.BACKUP_KEEP = 2

    call_command("backup")

    kept = sorted(path.name for path in backups.iterdir() if path.name not in NOT_OURS)
    assert kept[0] == OLD[3]
    assert f"Backed up to {backups / kept[1]}" in capsys.readouterr().out


@pytest.fixture
def s3(monkeypatch):
    """An S3 bucket in this process: moto answers boto3, no network."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="portal-backups")
        yield client


def _in_bucket(s3) -> list[str]:
    listing = s3.list_objects_v2(Bucket="portal-backups", Prefix="nightly/")
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.mark.django_db
def test_the_daily_backup_is_copied_to_s3_and_the_oldest_removed_there(
    settings, backups, s3
):
    # Given a bucket that already holds three daily backups and a note
    for name in [*OLD[:3], "readme.txt"]:
        s3.put_object(Bucket="portal-backups", Key=f"nightly/{name}", Body=b"old")
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "portal-backups",
                "location": "nightly",
                "region_name": "us-east-1",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    settings.BACKUP_KEEP = 2

    # When the daily backup runs
    name = backup_daily.apply().get()

    # Then the bucket holds it, byte for byte, beside the newest older one and the note
    assert _in_bucket(s3) == sorted(
        [f"nightly/{OLD[2]}", f"nightly/{name}", "nightly/readme.txt"]
    )
    copy = s3.get_object(Bucket="portal-backups", Key=f"nightly/{name}")
    assert copy["Body"].read() == (backups / name).read_bytes()
    assert sorted(path.name for path in backups.iterdir()) == sorted(
        [OLD[3], name, *NOT_OURS]
    )


@pytest.mark.django_db
def test_when_the_copy_fails_nothing_is_removed(settings, backups, s3):
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "no-such-bucket", "region_name": "us-east-1"},
        },
    }
    settings.BACKUP_KEEP = 1

    with pytest.raises(Exception, match="NoSuchBucket"):
        backup_daily.apply().get()

    assert set(OLD) <= {path.name for path in backups.iterdir()}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_encrypted_backup_is_restored_with_the_private_key_alone(
    tmp_path,
    settings,
    focal_mex,
    mexico,
    cycle,
    restore_database,  # noqa: F811 - the fixture
):
    # Given an update with evidence, and backups encrypted to an age public key
    settings.MEDIA_ROOT = tmp_path / "media"
    update = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=4),
        content=content(summary="Shelters opened in Puebla"),
    )
    services.evidence_add(
        update=update,
        actor=focal_mex,
        upload=SimpleUploadedFile("evidence.pdf", PDF),
    )
    identity = pyrage.x25519.Identity.generate()
    settings.BACKUP_AGE_RECIPIENTS = [str(identity.to_public())]

    # When it is backed up
    call_command("backup", output=str(tmp_path / "portal.tar.gz"))

    # Then the file is age's, and nothing in it can be read without the key
    archive = tmp_path / "portal.tar.gz.age"
    assert not (tmp_path / "portal.tar.gz").exists()
    data = archive.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    assert PDF not in data
    assert not tarfile.is_tarfile(archive)

    # And a restore asks for the key, refuses another, and works with the right one
    target = {
        "DATABASE_URL": restore_database,
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
    }
    without_key = manage("restore", str(archive), env=target)
    assert without_key.returncode != 0
    assert "This backup is encrypted" in without_key.stderr
    wrong_key = tmp_path / "someone-else.txt"
    wrong_key.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    refused = manage("restore", str(archive), "--identity", str(wrong_key), env=target)
    assert refused.returncode != 0
    assert "cannot be decrypted" in refused.stderr
    key = tmp_path / "backup-key.txt"  # as age-keygen writes it
    key.write_text(
        "# created: 2026-12-01T10:00:00Z\n"
        f"# public key: {identity.to_public()}\n"
        f"{identity}\n"
    )
    restored = manage("restore", str(archive), "--identity", str(key), env=target)
    assert restored.returncode == 0, restored.stderr
    assert "Restored 1 progress updates and 1 files" in restored.stdout
    assert (tmp_path / "restored-media" / update.evidence.get().file.name).read_bytes()
