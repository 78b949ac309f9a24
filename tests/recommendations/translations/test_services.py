"""The translation services: one text's save, and a file's import, all or nothing."""

import pytest

from core.errors import ConflictError
from recommendations.translations import po
from recommendations.translations.services import (
    ReferenceRequired,
    import_translations,
    set_translation,
)
from recommendations.translations.texts import catalogue_texts, entry
from tests.recommendations.translations.conftest import snapshot, with_msgstr

pytestmark = pytest.mark.django_db

EMPTY = {"text": "", "standing": "", "reference": ""}


def text_for(instrument, key):
    return next(t for t in catalogue_texts(instrument) if t.key == key)


def stored(text, language="es"):
    text.obj.refresh_from_db()
    return entry(text.obj, text.field, language)


@pytest.fixture
def theme_title(instrument):
    return text_for(instrument, "theme.corruption.title")


def save(text, *, expected, language="es", **values):
    values = {"new_text": "Texto", "standing": "working", "reference": ""} | values
    set_translation(text=text, language=language, expected=expected, **values)


def test_a_translation_is_saved_trimmed(theme_title):
    save(theme_title, new_text="  Corrupción  ", expected=stored(theme_title))

    assert stored(theme_title) == {
        "text": "Corrupción",
        "standing": "working",
        "reference": "",
    }


def test_a_working_translation_keeps_no_reference(theme_title):
    save(theme_title, reference="OEA/Ser.K/1", expected=stored(theme_title))

    assert stored(theme_title)["reference"] == ""


def test_an_official_translation_keeps_its_reference(theme_title):
    save(
        theme_title,
        standing="official",
        reference=" OEA/Ser.K/1 ",
        expected=stored(theme_title),
    )

    assert stored(theme_title) == {
        "text": "Texto",
        "standing": "official",
        "reference": "OEA/Ser.K/1",
    }


def test_an_official_translation_needs_a_reference(theme_title):
    before = snapshot()

    with pytest.raises(ReferenceRequired):
        save(theme_title, standing="official", expected=stored(theme_title))

    assert snapshot() == before


def test_an_empty_text_removes_the_translation_and_a_new_one_starts_from_none(
    theme_title,
):
    save(theme_title, new_text=" ", expected=stored(theme_title))
    assert stored(theme_title) is None

    save(theme_title, new_text="Corrupción", expected=EMPTY)
    assert stored(theme_title)["text"] == "Corrupción"


def test_a_save_on_a_stale_entry_is_refused(theme_title):
    started_from = stored(theme_title)
    save(theme_title, new_text="Primero", expected=started_from)
    before = snapshot()

    with pytest.raises(ConflictError, match="Someone else changed"):
        save(theme_title, new_text="Segundo", expected=started_from)

    assert snapshot() == before


def test_a_translation_in_one_language_leaves_the_others(theme_title):
    french = stored(theme_title, "fr")

    save(theme_title, new_text="Corrupción", expected=stored(theme_title))

    assert stored(theme_title, "fr") == french


# --- Import ---------------------------------------------------------------------


def two_changes(instrument):
    content = po.export(instrument, "es")
    content = with_msgstr(content, "theme.corruption.title", "Corrupción (A)")
    content = with_msgstr(content, "recommendation.22.text", "Texto (B)")
    reading = po.read(instrument, "es", content)
    assert [c.text.key for c in reading.changes] == [
        "theme.corruption.title",
        "recommendation.22.text",
    ]
    return reading


def test_an_import_applies_every_change_with_the_standing_chosen(instrument):
    reading = two_changes(instrument)

    count = import_translations(
        reading=reading, language="es", standing="official", reference="DOC/1"
    )

    assert count == 2
    for change in reading.changes:
        assert stored(change.text) == {
            "text": change.new,
            "standing": "official",
            "reference": "DOC/1",
        }


def test_an_import_is_all_or_nothing(instrument):
    reading = two_changes(instrument)
    # The second text changes after the file was read.
    last = reading.changes[1].text
    save(last, new_text="Otro", expected=stored(last))
    before = snapshot()

    with pytest.raises(ConflictError, match="was changed by someone else"):
        import_translations(
            reading=reading, language="es", standing="working", reference=""
        )

    assert snapshot() == before


def test_an_official_import_needs_a_reference(instrument):
    reading = two_changes(instrument)
    before = snapshot()

    with pytest.raises(ReferenceRequired):
        import_translations(
            reading=reading, language="es", standing="official", reference=""
        )

    assert snapshot() == before
