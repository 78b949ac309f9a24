from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import migrations

# The cycle the portal opens with: from the Seventh Meeting to the Eighth. Its dates are
# a starting point the Secretariat edits on the Cycles page.
CYCLE = {
    "slug": "eighth-meeting",
    "name": "Progress towards the Eighth Meeting of National Authorities",
    "meeting": "Eighth Meeting of National Authorities on Trafficking in Persons",
    "period_start": date(2024, 2, 7),
    "period_end": date(2027, 3, 31),
    "deadline": datetime(2027, 3, 31, 23, 59, tzinfo=ZoneInfo("America/New_York")),
    "time_zone": "America/New_York",
}


def create_cycle(apps, schema_editor):
    Instrument = apps.get_model("recommendations", "Instrument")
    ReportingCycle = apps.get_model("recommendations", "ReportingCycle")
    instrument = Instrument.objects.get(is_current=True)
    ReportingCycle.objects.create(
        instrument=instrument,
        is_open=True,
        opened_at=datetime(2024, 2, 7, tzinfo=ZoneInfo("UTC")),
        **CYCLE,
    )


def remove_cycle(apps, schema_editor):
    apps.get_model("recommendations", "ReportingCycle").objects.filter(
        slug=CYCLE["slug"], updates__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0003_cycles_and_progress_updates")]

    operations = [migrations.RunPython(create_cycle, remove_cycle)]
