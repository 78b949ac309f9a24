from django.db import migrations

# Apart from 0006 because PostgreSQL refuses to drop a column in the transaction
# that has just written to its table.
COLUMNS = {"instrument": "short_title", "theme": "title", "recommendation": "text"}


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0006_catalogue_translations")]

    operations = [
        migrations.RemoveField(model_name=model, name=f"{field}_{language}")
        for model, field in COLUMNS.items()
        for language in ("es", "fr", "pt")
    ]
