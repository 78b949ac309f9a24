"""PO export, and import with a preview: a round trip changes exactly what the file
changed; a malformed or mismatched file is refused with every problem, saving nothing.
"""

import html
import re

import polib
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recommendations.translations import forms as translation_forms
from recommendations.translations import po
from recommendations.translations.services import set_translation
from recommendations.translations.texts import catalogue_texts, entry
from tests.recommendations.translations.conftest import edited, snapshot, with_msgstr

pytestmark = pytest.mark.django_db

REC = "recommendation.5.text"
THEME = "theme.corruption.title"


def text_for(instrument, key):
    return next(t for t in catalogue_texts(instrument) if t.key == key)


def upload(content, name="translated.po") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/x-gettext-translation")


def exported(client, language="es") -> str:
    return client.get(f"/en/translations/{language}/export.po").content.decode()


def preview(client, content, language="es", **choices):
    data = {"standing": "working", "reference": ""} | choices
    return client.post(
        f"/en/translations/{language}/import/", data | {"file": upload(content)}
    )


def payload_of(response) -> str:
    found = re.search(r'name="payload" value="([^"]*)"', response.content.decode())
    return html.unescape(found.group(1))


def confirm(client, payload, language="es", **kwargs):
    return client.post(
        f"/en/translations/{language}/import/confirm/", {"payload": payload}, **kwargs
    )


# --- Export -------------------------------------------------------------------


def test_the_export_is_a_po_attachment_of_every_text(alba, instrument):
    response = alba.get("/en/translations/fr/export.po")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-gettext-translation; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="rtp-vii-recommendations-fr.po"'
    )
    catalogue = polib.pofile(response.content.decode())
    assert catalogue.metadata["Language"] == "fr"
    texts = list(catalogue_texts(instrument))
    assert [item.msgctxt for item in catalogue] == [text.key for text in texts]
    for item, text in zip(catalogue, texts, strict=True):
        assert item.msgid == text.source
        assert item.msgstr == entry(text.obj, text.field, "fr")["text"]


# --- The round trip ---------------------------------------------------------------


def test_export_edit_import_round_trips_exactly(alba, instrument):
    # Given a translator changed one msgstr in the exported file
    original = exported(alba)
    new = "Los Estados Miembros fortalecerán, con carácter prioritario, sus marcos."
    content = with_msgstr(original, REC, new)
    before = entry(text_for(instrument, REC).obj, "text", "es")["text"]

    # When the file is previewed
    response = preview(alba, content)

    # Then the preview lists that change alone, and nothing is saved yet
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing is saved until you confirm." in page
    rows = re.findall(r"<tbody>(.*?)</tbody>", page, flags=re.DOTALL)[0]
    assert rows.count("<tr>") == 1
    assert "Recommendation 5: text" in rows
    assert html.escape(text_for(instrument, REC).source) in rows
    assert html.escape(before) in rows
    assert html.escape(new) in rows
    total = len(list(catalogue_texts(instrument)))
    assert re.search(rf"<dt>Unchanged</dt><dd>{total - 1}</dd>", page)
    assert entry(text_for(instrument, REC).obj, "text", "es")["text"] == before

    # When it is confirmed
    response = confirm(alba, payload_of(response), follow=True)

    # Then exactly that msgstr changed
    assert "1 translation imported." in response.content.decode()
    assert exported(alba) == content


def test_an_import_may_make_the_changed_texts_official(alba, instrument):
    content = with_msgstr(exported(alba, "pt"), THEME, "Corrupção e suborno")
    response = preview(
        alba, content, "pt", standing="official", reference="OEA/Ser.K/XXXIX.7"
    )
    assert "OEA/Ser.K/XXXIX.7" in response.content.decode()

    confirm(alba, payload_of(response), "pt")

    assert entry(text_for(instrument, THEME).obj, "title", "pt") == {
        "text": "Corrupção e suborno",
        "standing": "official",
        "reference": "OEA/Ser.K/XXXIX.7",
    }
    # The texts the file did not change keep their standing.
    assert entry(text_for(instrument, REC).obj, "text", "pt")["standing"] == "working"


def test_an_official_import_without_reference_is_refused(alba):
    before = snapshot()
    content = with_msgstr(exported(alba), THEME, "Corrupción y soborno")

    response = preview(alba, content, standing="official", reference="")

    assert "An official translation needs the symbol" in response.content.decode()
    assert 'name="payload"' not in response.content.decode()
    assert snapshot() == before


def test_fuzzy_and_empty_entries_are_counted_and_left_alone(alba, instrument):
    def fuzzy(item):
        item.msgstr = "Borrador dudoso"
        item.flags.append("fuzzy")

    content = edited(exported(alba), REC, fuzzy)
    content = with_msgstr(content, THEME, "")

    response = preview(alba, content)

    page = response.content.decode()
    assert re.search(r"<dt>Skipped, marked fuzzy</dt><dd>1</dd>", page)
    assert re.search(r"<dt>Skipped, empty</dt><dd>1</dd>", page)
    assert "The file changes nothing." in page
    assert 'name="payload"' not in page


# --- Files refused ----------------------------------------------------------------


def refused(client, content, *messages, language="es"):
    before = snapshot()
    response = preview(client, content, language)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "The file was not imported" in page or 'class="errorlist' in page
    for message in messages:
        assert message in page, message
    assert 'name="payload"' not in page
    assert snapshot() == before
    return page


def test_a_malformed_file_is_refused(alba):
    refused(
        alba,
        'msgid "a"\nmsgstr "b"\n}}} not a PO file\n',
        "This is not a PO file that can be read",
    )


def test_a_file_in_another_language_is_refused(alba):
    content = with_msgstr(exported(alba, "fr"), THEME, "Corruption (nouveau)")

    refused(alba, content, "The file is for the language “fr”, not “es”.")


def test_a_file_for_another_instrument_is_refused(alba):
    catalogue = polib.pofile(with_msgstr(exported(alba), THEME, "Corrupción y soborno"))
    catalogue.metadata["Project-Id-Version"] = "rtp-viii-recommendations"

    refused(
        alba,
        str(catalogue),
        "The file is for “rtp-viii-recommendations”, "
        "not for “rtp-vii-recommendations”.",
    )


def test_a_file_with_an_unknown_text_is_refused(alba):
    catalogue = polib.pofile(with_msgstr(exported(alba), THEME, "Corrupción y soborno"))
    catalogue.append(
        polib.POEntry(
            msgctxt="recommendation.23.text", msgid="New text.", msgstr="Nuevo."
        )
    )

    refused(alba, str(catalogue), "“recommendation.23.text” is not a text")


def test_a_file_whose_english_changed_is_refused(alba):
    def english_changed(item):
        item.msgid = item.msgid + " (as amended)"
        item.msgstr = "Traducción de otro texto."

    content = with_msgstr(exported(alba), THEME, "Corrupción y soborno")
    content = edited(content, REC, english_changed)

    refused(
        alba,
        content,
        "The English of “Recommendation 5: text” has changed since this file was made",
    )


def test_every_problem_of_a_file_is_listed(alba):
    catalogue = polib.pofile(exported(alba, "pt"))
    catalogue.append(
        polib.POEntry(msgctxt="theme.nothing.title", msgid="x", msgstr="y")
    )
    catalogue.append(polib.POEntry(msgctxt=THEME, msgid="Corruption", msgstr="z"))

    refused(
        alba,
        str(catalogue),
        "The file is for the language “pt”, not “es”.",
        "“theme.nothing.title” is not a text of this catalogue.",
        f"“{THEME}” appears more than once.",
    )


def test_a_one_line_translation_longer_than_its_field_is_refused(alba):
    refused(
        alba,
        with_msgstr(exported(alba), THEME, "x" * 201),
        "is longer than 200 characters",
    )


def test_a_file_over_the_size_limit_is_refused(alba, monkeypatch):
    monkeypatch.setattr(translation_forms, "MAX_FILE_SIZE", 1000)

    refused(alba, exported(alba), "the limit is 1000")


def test_a_file_not_in_utf8_is_refused(alba):
    content = with_msgstr(exported(alba), THEME, "Corrupción y soborno").encode(
        "latin-1", errors="replace"
    )

    refused(alba, content, "The file is not in UTF-8.")


def test_a_missing_file_is_refused(alba):
    before = snapshot()

    response = alba.post(
        "/en/translations/es/import/", {"standing": "working", "reference": ""}
    )

    assert 'class="errorlist' in response.content.decode()
    assert snapshot() == before


# --- The confirmation ---------------------------------------------------------------


def test_a_tampered_preview_is_refused(alba):
    response = preview(alba, with_msgstr(exported(alba), THEME, "Corrupción y soborno"))
    payload = payload_of(response)
    before = snapshot()

    response = confirm(alba, payload[:-3] + "abc", follow=True)

    assert "The preview was damaged in transit." in response.content.decode()
    assert snapshot() == before


def test_a_preview_cannot_be_confirmed_in_another_language(alba):
    response = preview(alba, with_msgstr(exported(alba), THEME, "Corrupción y soborno"))
    before = snapshot()

    response = confirm(alba, payload_of(response), "fr", follow=True)

    assert "The preview was for another language." in response.content.decode()
    assert snapshot() == before


def test_an_old_preview_is_refused(alba, monkeypatch):
    response = preview(alba, with_msgstr(exported(alba), THEME, "Corrupción y soborno"))
    monkeypatch.setattr(translation_forms, "PREVIEW_MAX_AGE", -1)
    before = snapshot()

    response = confirm(alba, payload_of(response), follow=True)

    assert "more than an hour old" in response.content.decode()
    assert snapshot() == before


def test_a_change_after_the_preview_refuses_the_import(alba, instrument):
    # Given a preview of a file changing two texts
    content = with_msgstr(exported(alba), THEME, "Corrupción (archivo)")
    content = with_msgstr(content, REC, "Texto del archivo.")
    response = preview(alba, content)
    # and a colleague's edit of one of them meanwhile
    text = text_for(instrument, THEME)
    set_translation(
        text=text,
        language="es",
        new_text="Corrupción (colega)",
        standing="working",
        reference="",
        expected=entry(text.obj, "title", "es"),
    )
    before = snapshot()

    # When the preview is confirmed
    response = confirm(alba, payload_of(response))

    # Then nothing is imported, and a new preview shows what the file would do now
    page = html.unescape(response.content.decode())
    assert "The translations changed after the preview was made." in page
    assert "Corrupción (colega)" in page
    assert 'name="payload"' in page
    assert snapshot() == before

    # And that new preview, once confirmed, applies
    confirm(alba, payload_of(response))
    text.obj.refresh_from_db()
    assert entry(text.obj, "title", "es")["text"] == "Corrupción (archivo)"


def test_the_english_changing_after_the_preview_refuses_the_import(alba, instrument):
    response = preview(alba, with_msgstr(exported(alba), THEME, "Corrupción y soborno"))
    theme = text_for(instrument, THEME).obj
    theme.title = "Corruption and impunity"
    theme.save()
    before = snapshot()

    response = confirm(alba, payload_of(response))

    page = html.unescape(response.content.decode())
    assert "The file was not imported" in page
    assert "has changed since this file was made" in page
    assert snapshot() == before


def test_the_import_page_offers_the_form(alba):
    page = alba.get("/en/translations/pt/import/").content.decode()

    assert 'enctype="multipart/form-data"' in page
    assert 'name="file"' in page


def test_confirm_takes_only_posts(alba):
    assert alba.get("/en/translations/es/import/confirm/").status_code == 405


def test_the_export_reads_back_unchanged(alba, instrument):
    reading = po.read(instrument, "es", exported(alba))

    assert reading.changes == []
    assert reading.unchanged == len(list(catalogue_texts(instrument)))
