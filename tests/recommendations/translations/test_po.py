"""The PO file: what an export holds, and how a file is read."""

import polib
import pytest

from recommendations.translations import po
from recommendations.translations.services import set_translation
from recommendations.translations.texts import catalogue_texts, entry
from tests.recommendations.translations.conftest import edited, with_msgstr

pytestmark = pytest.mark.django_db

THEME = "theme.corruption.title"
REC = "recommendation.3.text"


def text_for(instrument, key):
    return next(t for t in catalogue_texts(instrument) if t.key == key)


def item(content, key):
    return next(i for i in polib.pofile(content) if i.msgctxt == key)


def test_the_export_names_its_instrument_and_language(instrument):
    catalogue = polib.pofile(po.export(instrument, "pt"))

    assert catalogue.metadata["Project-Id-Version"] == instrument.slug
    assert catalogue.metadata["Language"] == "pt"
    assert catalogue.metadata["Content-Type"] == "text/plain; charset=UTF-8"


def test_each_entry_tells_the_translator_its_label_and_standing(instrument):
    text = text_for(instrument, THEME)
    set_translation(
        text=text,
        language="fr",
        new_text="Corruption",
        standing="official",
        reference="OEA/Ser.K/2",
        expected=entry(text.obj, "title", "fr"),
    )
    rec = text_for(instrument, REC)
    set_translation(
        text=rec,
        language="fr",
        new_text="",
        standing="working",
        reference="",
        expected=entry(rec.obj, "text", "fr"),
    )

    content = po.export(instrument, "fr")

    assert item(content, THEME).comment == (
        f"{text.label}\nStanding: official translation (OEA/Ser.K/2)"
    )
    assert item(content, REC).msgstr == ""
    assert item(content, REC).comment.endswith("Standing: not translated yet")
    assert item(content, "recommendation.1.text").comment.endswith(
        "Standing: working translation"
    )


@pytest.mark.parametrize("header", ["es", "es_MX", "es-419", "ES"])
def test_a_regional_variant_of_the_language_is_accepted(instrument, header):
    catalogue = polib.pofile(po.export(instrument, "es"))
    catalogue.metadata["Language"] = header

    assert po.read(instrument, "es", str(catalogue)).changes == []


def test_a_file_without_language_is_refused(instrument):
    catalogue = polib.pofile(po.export(instrument, "es"))
    del catalogue.metadata["Language"]

    with pytest.raises(po.TranslationFileError) as refused:
        po.read(instrument, "es", str(catalogue))

    assert refused.value.problems == ["The file is for the language “?”, not “es”."]


def test_obsolete_entries_are_ignored_and_missing_entries_change_nothing(instrument):
    catalogue = polib.pofile(po.export(instrument, "es"))
    catalogue.append(
        polib.POEntry(msgctxt="recommendation.99.text", msgid="Old", obsolete=True)
    )
    kept = [i for i in catalogue if i.msgctxt != REC]
    catalogue[:] = kept

    reading = po.read(instrument, "es", str(catalogue))

    assert reading.changes == []
    assert reading.unchanged == len(list(catalogue_texts(instrument))) - 1


def test_a_change_reads_its_current_and_new_text_trimmed(instrument):
    current = entry(text_for(instrument, THEME).obj, "title", "es")["text"]
    content = with_msgstr(po.export(instrument, "es"), THEME, "  Corrupción nueva ")

    (change,) = po.read(instrument, "es", content).changes

    assert change.text.key == THEME
    assert (change.current, change.new) == (current, "Corrupción nueva")


def test_fuzzy_and_empty_entries_are_set_aside(instrument):
    def fuzzy(found):
        found.msgstr = "Quizá"
        found.flags.append("fuzzy")

    content = edited(po.export(instrument, "es"), THEME, fuzzy)
    content = with_msgstr(content, REC, "   ")

    reading = po.read(instrument, "es", content)

    assert reading.changes == []
    assert reading.skipped_fuzzy == [THEME]
    assert reading.skipped_empty == [REC]


def test_a_long_paragraph_is_not_held_to_the_one_line_limit(instrument):
    content = with_msgstr(po.export(instrument, "es"), REC, "Texto largo. " * 40)

    (change,) = po.read(instrument, "es", content).changes

    assert len(change.new) > po.ONE_LINE_LIMIT


def test_load_shipped_fills_only_what_is_not_translated(instrument):
    theme = text_for(instrument, THEME)
    rec = text_for(instrument, REC)
    set_translation(
        text=theme,
        language="es",
        new_text="Corrupción (oficial)",
        standing="official",
        reference="DOC/3",
        expected=entry(theme.obj, "title", "es"),
    )
    set_translation(
        text=rec,
        language="es",
        new_text="",
        standing="working",
        reference="",
        expected=entry(rec.obj, "text", "es"),
    )
    content = with_msgstr(po.export(instrument, "es"), THEME, "Corrupción (archivo)")
    content = with_msgstr(content, REC, "Recomendación 3 (archivo)")

    po.load_shipped(instrument, content, "es")

    theme.obj.refresh_from_db()
    rec.obj.refresh_from_db()
    assert entry(theme.obj, "title", "es")["text"] == "Corrupción (oficial)"
    assert entry(rec.obj, "text", "es") == {
        "text": "Recomendación 3 (archivo)",
        "standing": "working",
        "reference": "",
    }
