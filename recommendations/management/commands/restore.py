from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by 'backup' into an empty database and media folder."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz written by 'backup'.")
        parser.add_argument(
            "--force", action="store_true", help="Replace a database that is not empty."
        )

    def handle(self, *args, archive: str, force: bool = False, **options):
        try:
            manifest = restore_backup(Path(archive), force=force)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {manifest['progress_updates']} progress updates and "
            f"{len(manifest['media'])} files from {archive} "
            f"(made {manifest['created_at']})."
        )
