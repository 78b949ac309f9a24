"""The open data and the feed in the language of their address: ``/es/data/`` gives
the states' names, the themes' titles and the recommendations' texts in Spanish, each
text with its standing and the English, which is authoritative."""

import csv
import io
import json
import zipfile
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from recommendations.models import Recommendation, Theme
from recommendations.translations.texts import translate
from tests import factories

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
MEXICO = {"en": "Mexico", "es": "México", "fr": "Mexique", "pt": "México"}


@pytest.fixture
def accepted(focal_mex, reviewer, cycle, mexico, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        factories.progress_update(
            mexico,
            1,
            author=focal_mex,
            reviewer=reviewer,
            cycle=cycle,
            summary="México adoptó un plan nacional.",
            narrative_language="es",
            status="largely_implemented",
        )


def _csv(client, path: str) -> list[dict]:
    return list(
        csv.DictReader(io.StringIO(client.get(path).content.decode("utf-8-sig")))
    )


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_state_names_in_the_language_of_the_address(client, accepted, language):
    states = _csv(client, f"/{language}/data/states.csv")
    status = _csv(client, f"/{language}/data/status.csv?state=MEX")

    mexico = next(row for row in states if row["member_state"] == "MEX")
    assert mexico["member_state_name"] == MEXICO[language]
    assert mexico["member_state_name_en"] == "Mexico"
    assert {row["member_state_name"] for row in status} == {MEXICO[language]}
    first = next(row for row in status if row["recommendation"] == "1")
    assert first["summary"] == "México adoptó un plan nacional."
    assert first["summary_language"] == "es"


def test_english_files_name_the_states_in_english(client, accepted):
    states = _csv(client, "/en/data/states.csv")

    mexico = next(row for row in states if row["member_state"] == "MEX")
    assert mexico["member_state_name"] == mexico["member_state_name_en"] == "Mexico"


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_catalogue_texts_with_their_standing(client, accepted, language):
    recommendations = _csv(client, f"/{language}/data/recommendations.csv")
    themes = json.loads(client.get(f"/{language}/data/themes.json").content)
    first = Recommendation.objects.get(number=1, instrument__is_current=True)
    theme = Theme.objects.get(pk=first.theme_id)

    row = next(r for r in recommendations if r["recommendation"] == "1")
    assert row["text"] == translate(first, "text", language).text != first.text
    assert row["text_language"] == language
    assert row["text_standing"] == "working"
    assert row["text_reference"] == ""
    assert row["text_en"] == first.text
    assert themes["language"] == language
    theme_row = next(r for r in themes["rows"] if r["theme"] == theme.slug)
    assert theme_row["title"] == translate(theme, "title", language).text
    assert theme_row["title_standing"] == "working"
    assert theme_row["title_en"] == theme.title
    dictionary = {c["name"]: c["description"] for c in themes["columns"]}
    assert {"title_language", "title_standing", "title_en"} <= set(dictionary)


def test_english_texts_are_the_source(client, accepted):
    rows = _csv(client, "/en/data/recommendations.csv")

    row = next(r for r in rows if r["recommendation"] == "1")
    assert row["text"] == row["text_en"]
    assert (row["text_language"], row["text_standing"]) == ("en", "source")


def test_a_missing_translation_says_the_english_stands_in(client, accepted):
    theme = Theme.objects.get(slug="corruption", instrument__is_current=True)
    theme.translations["pt"].pop("title")
    theme.save(update_fields=["translations"])

    rows = _csv(client, "/pt/data/themes.csv")

    row = next(r for r in rows if r["theme"] == "corruption")
    assert (row["title"], row["title_language"], row["title_standing"]) == (
        "Corruption",
        "en",
        "missing",
    )


def test_the_spreadsheet_is_in_the_language_of_the_address(client, accepted):
    response = client.get("/es/data/states.xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["states"]
    header = [cell.value for cell in sheet[1]]
    names = [row[header.index("member_state_name")] for row in sheet.values]

    assert "México" in names
    assert response["Content-Disposition"].endswith('-states-es.xlsx"')
    about = [row for row in workbook["about"].values if row and row[0]]
    assert any(row[1] == "es" for row in about if len(row) > 1)


def test_the_zip_is_in_the_language_of_the_address(client, accepted):
    response = client.get("/fr/data/export/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    name = next(n for n in archive.namelist() if n.endswith("/states.csv"))
    readme = next(n for n in archive.namelist() if n.endswith("/README.txt"))

    assert response["Content-Disposition"].endswith('-fr.zip"')
    assert "Mexique" in archive.read(name).decode("utf-8-sig")
    themes = next(n for n in archive.namelist() if n.endswith("/themes.json"))
    assert json.loads(archive.read(themes))["language"] == "fr"
    assert "fr" in archive.read(readme).decode()


def test_the_data_page_says_the_files_follow_its_language(client, accepted):
    html = client.get("/en/data/").content.decode()

    assert "member_state_name_en" in html and "text_standing" in html


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_the_feed_in_the_language_of_its_address(client, accepted, language):
    response = client.get(f"/{language}/feed/")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
    english = ElementTree.fromstring(client.get("/en/feed/").content)  # noqa: S314

    titles = [e.text for e in feed.iter(f"{ATOM}title")]
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == language
    assert any(title.startswith(f"{MEXICO[language]}, ") for title in titles[1:])
    assert titles[0] != next(english.iter(f"{ATOM}title")).text
