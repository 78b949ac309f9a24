"""Load the catalogue from fixtures/ into the database, once, from a data migration.

It takes the migration's historical ``apps`` so that it keeps working as the models
change; later edits by the Secretariat are never overwritten because it only runs once.
"""

import json
from pathlib import Path

from django.db import models

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


def read_fixture(name: str):
    return json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))


def load_catalogue(apps) -> None:
    Instrument = apps.get_model("recommendations", "Instrument")
    Footnote = apps.get_model("recommendations", "Footnote")
    Theme = apps.get_model("recommendations", "Theme")
    Recommendation = apps.get_model("recommendations", "Recommendation")

    data = read_fixture("catalogue.json")
    instrument = Instrument.objects.create(**data["instrument"])
    footnotes: dict[int, models.Model] = {}  # historical models: no class to name
    for item in data["footnotes"]:
        repeats = footnotes[item["repeats"]] if item["repeats"] else None
        footnotes[item["number"]] = Footnote.objects.create(
            instrument=instrument,
            number=item["number"],
            text=item["text"],
            on_title=item["on_title"],
            repeats=repeats,
        )
    for theme_data in data["themes"]:
        theme = Theme.objects.create(
            instrument=instrument,
            position=theme_data["position"],
            slug=theme_data["slug"],
            title=theme_data["title"],
        )
        for item in theme_data["recommendations"]:
            recommendation = Recommendation.objects.create(
                instrument=instrument,
                theme=theme,
                number=item["number"],
                text=item["text"],
                source_paragraph=item["source_paragraph"],
                based_on=item["based_on"],
                addressee=item["addressee"],
            )
            recommendation.footnotes.set([footnotes[n] for n in item["footnotes"]])


def load_short_titles(apps) -> None:
    """The shipped short titles and their working translations, where none is set."""
    Recommendation = apps.get_model("recommendations", "Recommendation")
    data = read_fixture("catalogue.json")
    titles = {
        item["number"]: item.get("short_title", "")
        for theme in data["themes"]
        for item in theme["recommendations"]
    }
    for recommendation in Recommendation.objects.filter(
        instrument__slug=data["instrument"]["slug"], short_title=""
    ):
        recommendation.short_title = titles.get(recommendation.number, "")
        recommendation.save(update_fields=["short_title"])
    load_translations(apps)


def load_member_states(apps) -> None:
    MemberState = apps.get_model("recommendations", "MemberState")
    MemberState.objects.bulk_create(
        MemberState(**item) for item in read_fixture("member_states.json")
    )


def unload_catalogue(apps) -> None:
    apps.get_model("recommendations", "Instrument").objects.filter(
        slug=read_fixture("catalogue.json")["instrument"]["slug"]
    ).delete()


def unload_member_states(apps) -> None:
    iso3 = [item["iso3"] for item in read_fixture("member_states.json")]
    apps.get_model("recommendations", "MemberState").objects.filter(
        iso3__in=iso3
    ).delete()


def load_translations(apps) -> None:
    """The working translations shipped in fixtures/translations/, where none is set.

    A text whose English the Secretariat has since edited keeps no stale translation.
    """
    from recommendations.translations import po

    Instrument = apps.get_model("recommendations", "Instrument")
    instrument = Instrument.objects.filter(
        slug=read_fixture("catalogue.json")["instrument"]["slug"]
    ).first()
    if instrument is None:
        return
    for path in sorted((FIXTURES_DIR / "translations").glob("*.po")):
        po.load_shipped(instrument, path.read_text(encoding="utf-8"), path.stem)
