from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommendations.demo import DEMO_USERS, seed_demo_users
from recommendations.demo_updates import seed_demo_updates
from recommendations.models import ReportingCycle


class Command(BaseCommand):
    help = (
        "Create the demo users and data (safe to run again). Refuses when DEBUG is off."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even though DEBUG is off."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like production. Demo users have a known "
                "password; pass --force if you really want them here."
            )
        seed_demo_users()
        for demo in DEMO_USERS:
            self.stdout.write(
                f"  {demo.username:<12} {demo.role}"
                + (f" ({demo.state})" if demo.state else "")
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo users ready; password: {settings.DEMO_PASSWORD}")
        )
        cycle = ReportingCycle.objects.open().first()
        if cycle is not None:
            count = seed_demo_updates(cycle)
            self.stdout.write(f"Demo updates filed in “{cycle.name}”: {count}")
