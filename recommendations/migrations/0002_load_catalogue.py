from django.db import migrations

from recommendations.catalogue import (
    load_catalogue,
    load_member_states,
    unload_catalogue,
    unload_member_states,
)


def forwards(apps, schema_editor):
    load_catalogue(apps)
    load_member_states(apps)


def backwards(apps, schema_editor):
    unload_catalogue(apps)
    unload_member_states(apps)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
