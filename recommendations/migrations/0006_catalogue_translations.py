from django.db import migrations, models

from recommendations.catalogue import load_translations

# The per-language columns some texts had, now entries in ``translations``.
COLUMNS = {
    "Instrument": "short_title",
    "Theme": "title",
    "Recommendation": "text",
}
LANGUAGES = ("es", "fr", "pt")


def columns_to_translations(apps, schema_editor):
    for model_name, field in COLUMNS.items():
        for obj in apps.get_model("recommendations", model_name).objects.all():
            for language in LANGUAGES:
                text = getattr(obj, f"{field}_{language}")
                if text:
                    # Nothing says who entered them or from what: never "official".
                    obj.translations.setdefault(language, {})[field] = {
                        "text": text,
                        "standing": "working",
                        "reference": "",
                    }
            obj.save(update_fields=["translations"])
    load_translations(apps)


def translations_to_columns(apps, schema_editor):
    for model_name, field in COLUMNS.items():
        for obj in apps.get_model("recommendations", model_name).objects.all():
            for language in LANGUAGES:
                found = obj.translations.get(language, {}).get(field) or {}
                setattr(obj, f"{field}_{language}", found.get("text", ""))
            obj.save()


def translations_field():
    return models.JSONField(
        blank=True,
        default=dict,
        editable=False,
        help_text="Managed on the Translations pages.",
        verbose_name="translations",
    )


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0005_notifications_from_portal")]

    operations = [
        *(
            migrations.AddField(
                model_name=name, name="translations", field=translations_field()
            )
            for name in (
                "instrument",
                "footnote",
                "theme",
                "recommendation",
                "reportingcycle",
            )
        ),
        migrations.RunPython(columns_to_translations, translations_to_columns),
    ]
