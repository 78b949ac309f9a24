import pytest
from django.urls import reverse
from django.utils import translation

from recommendations.models import Recommendation

pytestmark = pytest.mark.django_db


def test_catalogue_lists_every_recommendation_under_its_theme(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get("/en/recommendations/")
    assert response.status_code == 200
    html = response.content.decode()
    for recommendation in Recommendation.objects.select_related("theme"):
        assert recommendation.text in html
        assert recommendation.theme.title in html
    assert html.index("Multidimensional approach") < html.index("Follow-up")


def test_recommendation_page_shows_text_theme_source_and_footnotes(client):
    response = client.get("/en/recommendations/14/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Recommendation 14" in html
    assert "Public awareness and capacity building" in html
    assert "Paragraph 14 of the Guidelines of the Third Work Plan" in html
    assert "in accordance with domestic laws." in html  # "Idem 2", resolved


def test_based_on_and_new_paragraphs_are_labelled(client):
    assert (
        "Based on paragraph 50" in client.get("/en/recommendations/3/").content.decode()
    )
    assert (
        "not taken from the Third Work Plan"
        in client.get("/en/recommendations/22/").content.decode()
    )


def test_unknown_recommendation_is_404(client):
    assert client.get("/en/recommendations/23/").status_code == 404


def test_untranslated_text_shows_english_with_a_note(client):
    Recommendation.objects.filter(number=2).update(translations={})
    html = client.get("/es/recommendations/2/").content.decode()
    assert '<span lang="en">Call for effective partnerships' in html
    assert "Aún sin traducir: se muestra en inglés." in html


def test_a_working_translation_says_so(client):
    html = client.get("/es/recommendations/2/").content.decode()
    assert "Call for effective partnerships" not in html
    assert "Hacer un llamado a establecer alianzas eficaces" in html  # as shipped
    assert 'class="standing-mark"' in html
    assert 'id="working-translation"' in html  # the note the mark points to
    assert "Aún sin traducir" not in html


def test_an_official_translation_carries_no_working_mark(client):
    recommendation = Recommendation.objects.get(number=2)
    recommendation.translations["es"]["text"] = {
        "text": "Promover alianzas eficaces.",
        "standing": "official",
        "reference": "RTP-VII/doc.5/24",
    }
    recommendation.save()
    html = client.get("/es/recommendations/2/").content.decode()
    assert "Promover alianzas eficaces." in html
    assert "Call for effective partnerships" not in html
    assert "Promover alianzas eficaces.</span>" not in html  # no lang span
    assert "standing-mark" not in html.split("Promover alianzas")[1][:80]


def test_every_url_carries_the_language(client):
    with translation.override("es"):
        assert reverse("recommendations:catalogue") == "/es/recommendations/"
    assert client.get("/recommendations/").status_code == 302


def test_page_titles_are_plain_text(client):
    import re

    for path in ("/en/recommendations/14/", "/en/recommendations/"):
        title = re.search(
            r"<title>(.*?)</title>", client.get(path).content.decode(), re.S
        )
        assert "<" not in title.group(1) and len(title.group(1)) < 120, path
