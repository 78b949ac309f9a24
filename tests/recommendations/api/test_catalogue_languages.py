"""The catalogue through the API in the language asked for: by ``?lang=`` or
``Accept-Language``, each translated text with its standing beside it and the
English text, which is authoritative, always there too."""

import pytest

from recommendations.models import Instrument, Recommendation, ReportingCycle, Theme
from recommendations.translations.texts import translate
from tests.api_client import error_of

pytestmark = pytest.mark.django_db

API = "/api/v1/"
WORKING = {"standing": "working", "reference": ""}


def _working(language: str) -> dict:
    return {"language": language, **WORKING}


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_accept_language_gives_the_themes_in_that_language(api, language):
    response = api().get(f"{API}themes/", HTTP_ACCEPT_LANGUAGE=language)
    first = response.json()["results"][0]
    theme = Theme.objects.get(slug=first["slug"], instrument__is_current=True)

    assert response["Content-Language"] == language
    assert first["title"] == translate(theme, "title", language).text
    assert first["title"] != theme.title
    assert first["title_translation"] == _working(language)
    assert first["title_en"] == theme.title == "Multidimensional approach"


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_lang_gives_a_recommendation_and_its_footnotes_in_that_language(api, language):
    body = api().get(f"{API}recommendations/1/?lang={language}").json()
    recommendation = Recommendation.objects.get(number=1, instrument__is_current=True)
    footnote = body["footnotes"][0]

    assert body["text"] == translate(recommendation, "text", language).text
    assert body["text"] != recommendation.text == body["text_en"]
    assert body["text_translation"] == _working(language)
    assert footnote["text_translation"] == _working(language)
    assert "domestic law" not in footnote["text"]
    assert "domestic law" in footnote["text_en"]


def test_lang_wins_over_accept_language(api):
    body = (
        api().get(f"{API}themes/corruption/?lang=pt", HTTP_ACCEPT_LANGUAGE="es").json()
    )
    theme = Theme.objects.get(slug="corruption", instrument__is_current=True)

    assert body["title"] == translate(theme, "title", "pt").text
    assert body["title_translation"]["language"] == "pt"


def test_english_is_the_source(api):
    body = api().get(f"{API}themes/corruption/?lang=en").json()

    assert body["title"] == body["title_en"] == "Corruption"
    assert body["title_translation"] == {
        "language": "en",
        "standing": "source",
        "reference": "",
    }


def test_a_missing_translation_is_english_and_says_so(api):
    theme = Theme.objects.get(slug="corruption", instrument__is_current=True)
    theme.translations["fr"].pop("title")
    theme.save(update_fields=["translations"])

    body = api().get(f"{API}themes/corruption/?lang=fr").json()

    assert body["title"] == "Corruption"
    assert body["title_translation"] == {
        "language": "en",
        "standing": "missing",
        "reference": "",
    }


def test_an_official_translation_gives_its_reference(api):
    theme = Theme.objects.get(slug="corruption", instrument__is_current=True)
    theme.translations["es"]["title"] = {
        "text": "Corrupción",
        "standing": "official",
        "reference": "OEA/Ser.K/XXXIX.7",
    }
    theme.save(update_fields=["translations"])

    body = api().get(f"{API}themes/corruption/?lang=es").json()

    assert body["title"] == "Corrupción"
    assert body["title_translation"] == {
        "language": "es",
        "standing": "official",
        "reference": "OEA/Ser.K/XXXIX.7",
    }


@pytest.mark.parametrize(
    ("language", "name"), [("es", "México"), ("fr", "Mexique"), ("pt", "México")]
)
def test_a_member_state_named_in_the_language_asked_for(api, language, name):
    by_parameter = api().get(f"{API}member-states/MEX/?lang={language}").json()
    by_header = (
        api().get(f"{API}member-states/MEX/", HTTP_ACCEPT_LANGUAGE=language).json()
    )

    assert by_parameter["name"] == by_header["name"] == name
    assert by_parameter["name_en"] == "Mexico"


def test_cycles_in_the_language_asked_for(api, cycle):
    body = api().get(f"{API}cycles/{cycle.slug}/?lang=es").json()
    cycle = ReportingCycle.objects.get(pk=cycle.pk)

    assert body["name"] == translate(cycle, "name", "es").text != cycle.name
    assert body["name_en"] == cycle.name
    assert body["name_translation"] == _working("es")
    assert body["meeting"] == translate(cycle, "meeting", "es").text
    assert body["meeting_translation"] == _working("es")
    assert body["meeting_en"] == cycle.meeting


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_the_instrument_in_the_language_asked_for(api, language):
    instrument = Instrument.objects.current()
    body = (
        api()
        .get(f"{API}instruments/{instrument.slug}/", HTTP_ACCEPT_LANGUAGE=language)
        .json()
    )

    assert body["is_current"] is True and body["is_draft"] is True
    for field in ("title", "short_title", "meeting", "reports_to"):
        assert body[field] == translate(instrument, field, language).text
        assert body[field] != body[f"{field}_en"] == getattr(instrument, field)
        assert body[f"{field}_translation"] == _working(language)
    assert [note["text_translation"] for note in body["footnotes"]] == [
        _working(language)
    ]


@pytest.mark.parametrize("value", ["de", "ES", "", "español"])
def test_an_unknown_language_is_refused(api, value):
    response = api().get(f"{API}themes/?lang={value}")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "en, es, fr, pt" in error["fields"]["lang"][0]


def test_lang_given_twice_is_refused(api):
    response = api().get(f"{API}themes/?lang=es&lang=fr")

    assert response.status_code == 400
    assert "lang" in error_of(response)["fields"]


def test_the_refusal_is_in_the_language_of_the_header(api):
    response = api().get(f"{API}themes/?lang=de", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert error_of(response)["message"] != "The request is not valid; see the fields."


def test_v1s_per_language_fields_stay(api):
    theme = Theme.objects.get(slug="corruption", instrument__is_current=True)
    recommendation = Recommendation.objects.get(number=5, instrument__is_current=True)
    themes = api().get(f"{API}themes/corruption/").json()
    body = api().get(f"{API}recommendations/5/").json()

    for language in ("es", "fr", "pt"):
        assert themes[f"title_{language}"] == translate(theme, "title", language).text
        assert (
            body[f"text_{language}"] == translate(recommendation, "text", language).text
        )
    theme.translations["fr"].pop("title")
    theme.save(update_fields=["translations"])
    assert api().get(f"{API}themes/corruption/").json()["title_fr"] == ""
