# PostgreSQL's unaccent lets the public search ignore accents in summaries; other
# databases skip this (CreateExtension does nothing on them).

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_report_editions"),
    ]

    operations = [
        UnaccentExtension(),
    ]
