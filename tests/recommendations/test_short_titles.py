"""Each recommendation's short title: shipped in four languages, edited by the
Secretariat, and shown wherever a recommendation's number would stand alone."""

import csv
import html
import io
import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommendations.catalogue import load_short_titles
from recommendations.models import Instrument, Recommendation
from recommendations.translations import po
from recommendations.translations.texts import (
    TRANSLATED_LANGUAGES,
    Standing,
    catalogue_texts,
    entry,
)
from tests.recommendations.translations.conftest import with_msgstr

pytestmark = pytest.mark.django_db

KEY = "recommendation.4.short_title"
# The shipped working titles this file reads on the pages.
ENGLISH_4 = "Digital capacity of law enforcement"
SPANISH_3 = "Uso indebido de las TIC y plataformas"
SPANISH_4 = "Capacidad digital de investigación"
DAGGER = '<sup class="standing-mark">'


def recommendation(number: int) -> Recommendation:
    return Recommendation.objects.get(instrument__is_current=True, number=number)


def text_for(key: str):
    instrument = Instrument.objects.current()
    return next(t for t in catalogue_texts(instrument) if t.key == key)


# --- What ships ---------------------------------------------------------------


def test_the_22_recommendations_have_short_titles_in_four_languages(db):
    recommendations = list(Recommendation.objects.filter(instrument__is_current=True))

    assert len(recommendations) == 22
    titles = [r.short_title for r in recommendations]
    assert all(0 < len(title) <= 40 for title in titles)
    assert len(set(titles)) == 22
    for language in TRANSLATED_LANGUAGES:
        translated = [entry(r, "short_title", language) for r in recommendations]
        assert all(t and t["standing"] == Standing.WORKING for t in translated)
        assert len({t["text"] for t in translated}) == 22
        assert all(
            t["text"] != r.short_title
            for t, r in zip(translated, recommendations, strict=True)
        )
    assert recommendation(4).short_title == ENGLISH_4


def test_loading_again_never_overwrites_what_the_secretariat_entered(db):
    mine = recommendation(4)
    mine.short_title = "Cyber investigations"
    mine.translations["es"]["short_title"] = {
        "text": "Investigaciones cibernéticas",
        "standing": Standing.OFFICIAL,
        "reference": "OEA/Ser.K/XXXIX.7",
    }
    mine.save()
    empty = recommendation(5)
    empty.short_title = ""
    del empty.translations["es"]["short_title"]
    empty.save()

    load_short_titles(apps)

    mine.refresh_from_db()
    empty.refresh_from_db()
    assert mine.short_title == "Cyber investigations"
    assert entry(mine, "short_title", "es")["text"] == "Investigaciones cibernéticas"
    # A title removed is shipped again, with its working translation.
    assert empty.short_title == "Public procurement free of exploitation"
    assert entry(empty, "short_title", "es")["standing"] == Standing.WORKING


def test_numbered_title_and_heading_in_the_readers_language(db):
    from django.utils import translation

    fourth = recommendation(4)
    with translation.override("es"):
        assert fourth.numbered_title == f"4. {SPANISH_4}"
    with translation.override("en"):
        assert fourth.heading == f"Recommendation 4 — {ENGLISH_4}"
    fourth.short_title = ""
    fourth.translations = {}
    assert fourth.numbered_title == "4"
    assert fourth.heading == "Recommendation 4"


# --- The Secretariat edits it ---------------------------------------------------------


def test_the_translation_page_edits_a_short_title(client, secretariat_admin):
    client.force_login(secretariat_admin)
    page = client.get("/en/translations/es/").content.decode()
    assert "Recommendation 4: short title" in page
    form_page = client.get(f"/en/translations/es/{KEY}/").content.decode()
    assert html.escape(ENGLISH_4) in form_page
    expected = re.search(r'name="expected" value="([^"]*)"', form_page).group(1)

    response = client.post(
        f"/en/translations/es/{KEY}/",
        {
            "expected": html.unescape(expected),
            "text": "Investigación digital",
            "standing": "official",
            "reference": "OEA/Ser.K/XXXIX.7",
        },
        follow=True,
    )

    assert "Translation saved." in response.content.decode()
    assert entry(recommendation(4), "short_title", "es") == {
        "text": "Investigación digital",
        "standing": "official",
        "reference": "OEA/Ser.K/XXXIX.7",
    }


def test_a_short_title_longer_than_a_line_is_refused(client, secretariat_admin):
    client.force_login(secretariat_admin)
    form_page = client.get(f"/en/translations/fr/{KEY}/").content.decode()
    expected = re.search(r'name="expected" value="([^"]*)"', form_page).group(1)
    before = entry(recommendation(4), "short_title", "fr")

    response = client.post(
        f"/en/translations/fr/{KEY}/",
        {
            "expected": html.unescape(expected),
            "text": "x" * 201,
            "standing": "working",
            "reference": "",
        },
    )

    assert "at most 200 characters" in response.content.decode()
    assert entry(recommendation(4), "short_title", "fr") == before


def test_the_po_round_trip_carries_short_titles(client, secretariat_admin):
    client.force_login(secretariat_admin)
    instrument = Instrument.objects.current()
    exported = client.get("/en/translations/pt/export.po").content.decode()
    assert f'msgctxt "{KEY}"\nmsgid "{ENGLISH_4}"' in exported

    content = with_msgstr(exported, KEY, "Capacidade digital policial")
    reading = po.read(instrument, "pt", content)

    assert [(c.text.key, c.new) for c in reading.changes] == [
        (KEY, "Capacidade digital policial")
    ]


def test_the_admin_edits_the_english_short_title(db):
    from django.contrib.auth import get_user_model
    from django.test import Client

    root = get_user_model().objects.create_superuser(
        "root", "root@example.org", "x-long-pw-123"
    )
    client = Client()
    client.force_login(root)
    fourth = recommendation(4)

    page = client.get(f"/en/admin/recommendations/recommendation/{fourth.pk}/change/")

    assert page.status_code == 200
    assert re.search(r'<input[^>]*name="short_title"[^>]*maxlength="40"', page.text)
    assert f'value="{ENGLISH_4}"' in page.text


# --- Where it shows -------------------------------------------------------------------


def test_the_home_cards_name_each_recommendation_in_spanish(client):
    page = client.get("/es/").content.decode()

    assert f"4. {SPANISH_4}{DAGGER}" in page
    assert "Recomendación 4</a>" not in page


def test_the_dashboard_bars_and_matrix_name_the_recommendations_in_spanish(
    client, cycle, mex_public
):
    page = client.get("/es/status/").content.decode()

    # The bars' labels, wrapped onto lines, hold the Spanish title.
    labels = " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", page))
    assert "4. Capacidad digital" in labels and "investigación" in labels
    assert "Digital capacity" not in labels
    # The matrix stays narrow: the number, named in full for readers and on hover.
    header = re.search(r'<th scope="col"><a href="[^"]*/4/"[^>]*>', page)
    assert f' 4 — {SPANISH_4}"' in re.search(r'aria-label="[^"]*"', header[0])[0]
    assert f'title="4. {SPANISH_4}"' in header.group(0)


def test_the_review_queue_names_the_recommendation_in_spanish(
    client, reviewer, mex_submitted
):
    client.force_login(reviewer)

    page = client.get("/es/review/").content.decode()

    number = mex_submitted.recommendation.number
    title = entry(mex_submitted.recommendation, "short_title", "es")["text"]
    assert f"{number}. {html.escape(title)}{DAGGER}" in page


def test_the_workspace_names_each_recommendation_in_spanish(client, focal_mex, cycle):
    client.force_login(focal_mex)

    page = client.get("/es/workspace/MEX/").content.decode()

    assert f'<p class="row-title">{SPANISH_3}{DAGGER}' in page


def test_the_api_gives_the_short_title_with_its_standing(api):
    body = api().get("/api/v1/recommendations/4/?lang=es").json()

    assert body["short_title"] == SPANISH_4
    assert body["short_title_translation"] == {
        "language": "es",
        "standing": "working",
        "reference": "",
    }
    assert body["short_title_en"] == ENGLISH_4


def test_the_open_data_carries_the_short_title_with_its_standing(
    client, cycle, mex_public
):
    content = client.get("/es/data/recommendations.csv").content
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))

    fourth = next(row for row in rows if row["recommendation"] == "4")
    assert fourth["short_title"] == SPANISH_4
    assert fourth["short_title_language"] == "es"
    assert fourth["short_title_standing"] == "working"
    assert fourth["short_title_en"] == ENGLISH_4


@pytest.mark.parametrize("path", ["/es/", "/es/status/", "/es/review/"])
def test_short_titles_cost_no_query(client, reviewer, mex_submitted, path):
    """The titles live on the rows the pages read already."""
    client.force_login(reviewer)

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured.captured_queries)

    client.get(path)  # the session and caches warmed up
    with_titles = queries()
    Recommendation.objects.update(short_title="", translations={})
    without = queries()

    assert with_titles == without


def test_a_recommendation_without_short_title_shows_its_number(client, cycle):
    Recommendation.objects.filter(number=4).update(short_title="", translations={})

    page = client.get("/en/").content.decode()

    assert '/recommendations/4/">4</a>' in page
