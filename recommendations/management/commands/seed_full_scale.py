from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommendations.fullscale import seed_full_scale


class Command(BaseCommand):
    help = (
        "Fill the database with a full-scale data set for benchmarks: every state and "
        "recommendation, several cycles, many updates. Refuses when DEBUG is off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cycles", type=int, default=3)
        parser.add_argument(
            "--per",
            type=int,
            default=10,
            help="Updates per state and recommendation in each cycle.",
        )
        parser.add_argument("--force", action="store_true", help="Run with DEBUG off.")

    def handle(self, *args, cycles: int, per: int, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: pass --force to fill this database.")
        if cycles < 1 or per < 1:
            raise CommandError("--cycles and --per must be at least 1.")

        def bar(fraction: float) -> None:
            filled = int(fraction * 40)
            self.stderr.write(
                f"\r[{'#' * filled}{' ' * (40 - filled)}] {fraction:5.1%}", ending=""
            )
            self.stderr.flush()

        count = seed_full_scale(cycles=cycles, per=per, progress=bar)
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"{count} progress updates written."))
