"""Editing one translation beside its English: saving, removing, refusing bad input,
and never overwriting what someone else saved in between."""

import html
import json
import re

import pytest

from recommendations.translations.forms import TranslationForm
from recommendations.translations.services import set_translation
from recommendations.translations.texts import catalogue_texts, entry
from tests.recommendations.translations.conftest import snapshot

pytestmark = pytest.mark.django_db

REC = "recommendation.1.text"
THEME = "theme.corruption.title"


def text_for(instrument, key):
    return next(t for t in catalogue_texts(instrument) if t.key == key)


def stored(instrument, key, language="es"):
    text = text_for(instrument, key)
    return entry(text.obj, text.field, language)


def path(key=REC, language="es"):
    return f"/en/translations/{language}/{key}/"


def opened(client, key=REC, language="es") -> dict:
    """What the edit form carries when the editor opens it."""
    page = client.get(path(key, language)).content.decode()
    expected = re.search(r'name="expected" value="([^"]*)"', page).group(1)
    return {"expected": html.unescape(expected)}


def test_the_page_shows_the_english_beside_the_translation(alba, instrument):
    text = text_for(instrument, REC)
    current = stored(instrument, REC)

    page = alba.get(path()).content.decode()

    assert 'class="translation-pair"' in page
    source = re.search(
        r'class="translation-pair__source".*?<blockquote[^>]*lang="en"[^>]*>(.*?)'
        r"</blockquote>",
        page,
        flags=re.DOTALL,
    )
    assert html.unescape(source.group(1)).strip() == f"<p>{text.source}</p>"
    textarea = re.search(r"<textarea([^>]*)>(.*?)</textarea>", page, flags=re.DOTALL)
    assert 'lang="es"' in textarea.group(1)
    assert html.unescape(textarea.group(2)).strip() == current["text"]
    assert 'value="working"' in page and "checked" in page
    assert json.loads(opened(alba)["expected"]) == current


def test_a_working_translation_is_saved(alba, instrument):
    form = opened(alba) | {
        "text": "  Nuevo texto de trabajo.  ",
        "standing": "working",
        "reference": "ignored for a working translation",
    }

    response = alba.post(path(), form, follow=True)

    assert response.redirect_chain[-1][0] == "/en/translations/es/"
    assert "Translation saved." in response.content.decode()
    assert stored(instrument, REC) == {
        "text": "Nuevo texto de trabajo.",
        "standing": "working",
        "reference": "",
    }


def test_an_official_translation_keeps_its_reference(alba, instrument):
    form = opened(alba, THEME, "pt") | {
        "text": "Corrupção",
        "standing": "official",
        "reference": "OEA/Ser.K/XXXIX.7",
    }

    alba.post(path(THEME, "pt"), form)

    assert stored(instrument, THEME, "pt") == {
        "text": "Corrupção",
        "standing": "official",
        "reference": "OEA/Ser.K/XXXIX.7",
    }
    page = alba.get("/en/translations/pt/").content.decode()
    assert "OEA/Ser.K/XXXIX.7" in page


def test_an_official_translation_without_reference_is_refused(alba, instrument):
    before = snapshot()
    form = opened(alba) | {
        "text": "Texto oficial.",
        "standing": "official",
        "reference": "  ",
    }

    response = alba.post(path(), form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "An official translation needs the symbol of the document" in page
    assert "Texto oficial." in page  # what was typed stays in the form
    assert snapshot() == before


def test_an_empty_text_removes_the_translation(alba, instrument):
    form = opened(alba, THEME, "fr") | {
        "text": "   ",
        "standing": "official",  # no reference needed to remove
        "reference": "",
    }

    response = alba.post(path(THEME, "fr"), form, follow=True)

    assert "Translation removed" in response.content.decode()
    assert stored(instrument, THEME, "fr") is None
    assert text_for(instrument, THEME).translation("fr").is_fallback


def test_a_one_line_text_longer_than_its_field_is_refused(alba, instrument):
    before = snapshot()
    form = opened(alba, THEME) | {
        "text": "x" * 201,
        "standing": "working",
        "reference": "",
    }

    response = alba.post(path(THEME), form)

    assert "at most 200 characters" in response.content.decode()
    assert snapshot() == before


def test_a_long_paragraph_is_no_one_line_text(alba, instrument):
    long_text = "Los Estados " + "adoptarán medidas " * 40
    form = opened(alba) | {"text": long_text, "standing": "working", "reference": ""}

    alba.post(path(), form)

    assert stored(instrument, REC)["text"] == long_text.strip()


@pytest.mark.parametrize(
    "change",
    [
        {"standing": "approved"},
        {"standing": ""},
        {"expected": "not json"},
        {"expected": "[1, 2]"},
    ],
)
def test_bad_input_is_refused_with_a_message(alba, instrument, change):
    before = snapshot()
    form = (
        opened(alba)
        | {"text": "Texto.", "standing": "working", "reference": ""}
        | change
    )

    response = alba.post(path(), form)

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert snapshot() == before


# --- Two editors at once --------------------------------------------------------


def test_a_concurrent_edit_is_refused_and_the_typed_text_kept(
    alba, instrument, secretariat_admin
):
    # Given Alba opened the form, and a colleague saved another text meanwhile
    form = opened(alba)
    text = text_for(instrument, REC)
    set_translation(
        text=text,
        language="es",
        new_text="El texto del colega.",
        standing="official",
        reference="OEA/Ser.K/XXXIX.9",
        expected=json.loads(form["expected"]),
    )

    # When Alba saves hers
    mine = form | {"text": "Mi texto.", "standing": "working", "reference": ""}
    response = alba.post(path(), mine)

    # Then hers is refused, still in the form, beside her colleague's
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this translation" in page
    assert re.search(r"<textarea[^>]*>\s*Mi texto.\s*</textarea>", page)
    assert "El texto del colega." in page
    assert stored(instrument, REC)["text"] == "El texto del colega."

    # And a second save, made knowingly, goes through
    expected = html.unescape(
        re.search(r'name="expected" value="([^"]*)"', page).group(1)
    )
    assert json.loads(expected)["text"] == "El texto del colega."
    alba.post(path(), mine | {"expected": expected})
    assert stored(instrument, REC)["text"] == "Mi texto."


def test_a_removal_meanwhile_is_a_conflict_too(alba, instrument):
    form = opened(alba, THEME)
    text = text_for(instrument, THEME)
    set_translation(
        text=text,
        language="es",
        new_text="",
        standing="working",
        reference="",
        expected=json.loads(form["expected"]),
    )

    response = alba.post(
        path(THEME), form | {"text": "Corrupción", "standing": "working"}
    )

    assert "Someone else changed this translation" in response.content.decode()
    assert stored(instrument, THEME) is None


def test_the_expected_value_matches_what_the_service_compares():
    assert json.loads(TranslationForm.expected_value(None)) == {
        "text": "",
        "standing": "",
        "reference": "",
    }


# --- What the public sees afterwards --------------------------------------------


def test_a_saved_translation_reaches_the_cached_public_pages(
    alba, client, instrument, django_capture_on_commit_callbacks
):
    from django.test import Client

    public = Client()
    assert "Corrupción nueva" not in public.get("/es/recommendations/").content.decode()
    form = opened(alba, THEME) | {
        "text": "Corrupción nueva",
        "standing": "working",
        "reference": "",
    }

    with django_capture_on_commit_callbacks(execute=True):
        alba.post(path(THEME), form)

    assert "Corrupción nueva" in public.get("/es/recommendations/").content.decode()


def test_a_cycle_edit_changes_the_publication_version(
    cycle, django_capture_on_commit_callbacks
):
    from core import publication

    before = publication.version()
    with django_capture_on_commit_callbacks(execute=True):
        cycle.save()

    assert publication.version() != before
