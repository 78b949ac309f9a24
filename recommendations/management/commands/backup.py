from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.backup import BackupError, create_backup, default_name


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", help="Where to write it (default: a dated name)."
        )

    def handle(self, *args, output: str | None = None, **options):
        path = Path(output or default_name())
        try:
            manifest = create_backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backed up {manifest['progress_updates']} progress updates and "
            f"{len(manifest['media'])} files to {path}"
        )
