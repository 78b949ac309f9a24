from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by 'backup' into an empty database and media folder."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz (or .tar.gz.age) of 'backup'.")
        parser.add_argument(
            "--force", action="store_true", help="Replace a database that is not empty."
        )
        parser.add_argument(
            "--identity",
            help="For an encrypted backup: the age identity file with its private key "
            "(age-keygen's), brought to this machine for the restore alone.",
        )

    def handle(
        self,
        *args,
        archive: str,
        force: bool = False,
        identity: str | None = None,
        **options,
    ):
        try:
            manifest = restore_backup(
                Path(archive),
                force=force,
                identity=Path(identity) if identity else None,
            )
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {manifest['progress_updates']} progress updates and "
            f"{len(manifest['media'])} files from {archive} "
            f"(made {manifest['created_at']})."
        )
