"""A reader in Spanish, French or Portuguese meets no English catalogue text unmarked.

The crawl reads every public page as a visitor would, and collects the text that is
not inside an element marked with another language. None of the catalogue's English
texts (theme titles, recommendation texts, footnotes, the instrument's and the cycle's
names, the states' English names) may appear in it.
"""

from html.parser import HTMLParser

import pytest
from django.utils import translation

from recommendations.models import Instrument, MemberState, Recommendation
from recommendations.translations.texts import catalogue_texts
from tests import factories

pytestmark = pytest.mark.django_db

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "source", "track", "wbr",
}  # fmt: skip


class UnmarkedText(HTMLParser):
    """The text of a page in its own language: outside any element whose ``lang``
    names another language."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.page_language = None
        self.parts: list[str] = []
        self.marked: list[tuple[str, str]] = []

    def language(self) -> str | None:
        for _tag, lang in reversed(self.stack):
            if lang:
                return lang
        return None

    def handle_starttag(self, tag, attrs):
        lang = dict(attrs).get("lang")
        if tag == "html":
            self.page_language = lang
        if tag not in VOID:
            self.stack.append((tag, lang))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        language = self.language()
        if language == self.page_language:
            self.parts.append(data)
        else:
            self.marked.append((language, data))

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def english_texts(language: str) -> list[str]:
    """The English texts that differ from their translation (a place name or
    "Corruption" in French is the same word in both)."""
    instrument = Instrument.objects.current()
    texts = [
        text.source
        for text in catalogue_texts(instrument)
        if text.translation(language).text != text.source
    ]
    for state in MemberState.objects.all():
        if state.name_en != getattr(state, f"name_{language}"):
            texts.append(state.name_en)
    # Long texts are compared by their opening words, which survive truncation.
    return [" ".join(text.split()[:8]) for text in texts]


def public_paths(language: str) -> list[str]:
    instrument = Instrument.objects.current()
    paths = ["", "recommendations/", "status/", "status/map/", "states/", "data/"]
    paths += [f"recommendations/{n}/" for n in range(1, 23)]
    paths += [f"themes/{theme.slug}/" for theme in instrument.themes.all()]
    paths += [
        "states/MEX/",
        "states/BRA/",
        "states/VEN/",
        "states/MEX/recommendations/5/",
    ]
    paths += ["reports/published/"]
    return [f"/{language}/{path}" for path in paths]


@pytest.fixture
def english_narrative(focal_mex, reviewer, mexico, cycle):
    return factories.progress_update(
        mexico,
        5,
        author=focal_mex,
        reviewer=reviewer,
        summary="Mexico adopted its national plan against trafficking.",
        narrative="The plan was adopted in March.",
        narrative_visibility="public",
        narrative_language="en",
    )


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_no_english_catalogue_text_appears_unmarked(
    client, language, english_narrative
):
    english = english_texts(language)
    assert len(english) > 50  # the catalogue and the states' names, all of them
    for path in public_paths(language):
        response = client.get(path)
        assert response.status_code == 200, path
        page = UnmarkedText()
        page.feed(response.content.decode())
        assert page.page_language == language, path
        found = [text for text in english if text in page.text]
        assert not found, f"{path} shows English unmarked: {found}"
        assert "Mexico adopted" not in page.text, f"{path}: a summary unmarked"
        if path.endswith("/states/MEX/recommendations/5/"):
            # The state's own words stay as written, marked as English.
            assert ("en", "The plan was adopted in March.") in [
                (lang, data.strip()) for lang, data in page.marked
            ]


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_an_untranslated_text_stands_in_marked_as_english(client, language):
    recommendation = Recommendation.objects.get(number=7)
    recommendation.translations.pop(language)
    recommendation.save()
    page = UnmarkedText()
    page.feed(client.get(f"/{language}/recommendations/7/").content.decode())
    opening = " ".join(recommendation.text.split()[:8])
    assert opening not in page.text
    assert any(lang == "en" and opening in data for lang, data in page.marked)


def test_english_pages_show_the_adopted_text_unmarked(client):
    with translation.override("en"):
        page = UnmarkedText()
        page.feed(client.get("/en/recommendations/").content.decode())
    assert Recommendation.objects.get(number=1).text[:60] in page.text
    english_page = client.get("/en/recommendations/").content.decode()
    assert "working-translation" not in english_page
