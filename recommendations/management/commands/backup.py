from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.backup import (
    BackupError,
    backup_daily,
    backup_path,
    create_backup,
)


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded files into one .tar.gz (encrypted to "
        "BACKUP_AGE_RECIPIENTS when set). Without --output, does what the daily "
        "backup does: into BACKUP_DIR, copied to the backups storage, oldest removed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", help="Write this one file; nothing is copied or removed."
        )

    def handle(self, *args, output: str | None = None, **options):
        try:
            if output is None:
                path = backup_daily()
                self.stdout.write(f"Backed up to {path}")
                return
            manifest = create_backup(Path(output))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backed up {manifest['progress_updates']} progress updates and "
            f"{len(manifest['media'])} files to {backup_path(Path(output))}"
        )
