"""The working translations that come with the portal: every catalogue text in
Spanish, French and Portuguese, each with a standing."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

from recommendations.translations import po
from recommendations.translations.texts import (
    TRANSLATED_LANGUAGES,
    Standing,
    catalogue_texts,
    entry,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "translations"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_catalogue_text_has_a_translation_with_a_standing(instrument, language):
    untranslated = []
    for text in catalogue_texts(instrument):
        found = entry(text.obj, text.field, language)
        if found is None or not found["text"].strip():
            untranslated.append(text.key)
            continue
        assert found["standing"] in Standing.values, text.key
        if found["standing"] == Standing.OFFICIAL:
            assert found["reference"], text.key
        shown = text.translation(language)
        assert (shown.language, shown.standing) == (language, found["standing"])
        assert not shown.is_fallback

    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_the_shipped_file_covers_the_catalogue_as_adopted(instrument, language):
    """Each file translates exactly the current English, with nothing left fuzzy,
    so migration 0006 loads every text and an import of it changes nothing."""
    content = (FIXTURES / f"{language}.po").read_text(encoding="utf-8")
    catalogue = polib.pofile(content)

    assert [i for i in catalogue if "fuzzy" in i.flags] == []
    assert [i.msgctxt for i in catalogue if not i.msgstr.strip()] == []
    reading = po.read(instrument, language, content)
    assert reading.changes == []
    assert reading.unchanged == len(list(catalogue_texts(instrument)))


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_the_recommendations_are_translated_not_copied(instrument, language):
    for text in catalogue_texts(instrument):
        if text.key.startswith("recommendation."):
            assert text.translation(language).text != text.source, text.key
