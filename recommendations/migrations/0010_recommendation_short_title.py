from django.db import migrations, models

from recommendations.catalogue import load_short_titles


def load(apps, schema_editor):
    load_short_titles(apps)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0009_good_practice_marks")]

    operations = [
        migrations.AddField(
            model_name="recommendation",
            name="short_title",
            field=models.CharField(
                blank=True,
                help_text=(
                    "A few words that name the recommendation wherever its number "
                    "stands alone: cards, charts, the matrix."
                ),
                max_length=40,
                verbose_name="short title",
            ),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
