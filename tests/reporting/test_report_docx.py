"""The editable edition (DOCX) for the conference services, read back with python-docx.

A small report (a few accepted updates, the whole catalogue, the Secretariat's texts
with a heading, a table and a footnote) is rendered to HTML once per module, in English
and in Spanish, inside a transaction that is rolled back, and converted as the pipeline
converts it: the HTML as rendered for the PDF, without WeasyPrint's layout.
"""

import html as html_lib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from accounts.models import Role
from recommendations.models import Recommendation, ReportingCycle, Theme
from reporting import pdf, services
from reporting.docx import html_to_docx
from tests import factories

CONFIDENTIAL = "Sealed witness-protection arrangement with the prosecutor's office"
PUBLIC_NARRATIVE = "The unit **trained two hundred inspectors** in Monterrey."
INTRODUCTION = """\
This report is the Secretariat's first to the Eighth Meeting.[^1]

# Scope of the report

| Source | Updates |
| --- | --- |
| Questionnaire | 42 |

[^1]: Mandated by the Seventh Meeting of National Authorities.
"""
CONCLUSIONS = "States advanced most where *inter-institutional committees* met often."
NOTE = "Mandated by the Seventh Meeting of National Authorities."
GENERATED_AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@dataclass
class Edition:
    html: str
    docx: bytes

    @property
    def document(self):
        return Document(io.BytesIO(self.docx))


def _updates() -> None:
    reviewer = factories.secretariat(Role.REVIEWER, username="docx-rita")
    focal_mex = factories.focal_point("MEX", username="docx-maria")
    factories.progress_update(
        "MEX",
        1,
        author=focal_mex,
        reviewer=reviewer,
        status="largely_implemented",
        narrative=PUBLIC_NARRATIVE,
    )
    factories.progress_update(
        "BRA",
        7,
        author=factories.focal_point("BRA", username="docx-bruno"),
        reviewer=reviewer,
        status="fully_implemented",
    )
    factories.progress_update(
        "MEX",
        5,
        author=focal_mex,
        reviewer=reviewer,
        narrative=CONFIDENTIAL,
        narrative_visibility="confidential",
    )
    cycle = ReportingCycle.objects.get(is_open=True)
    for language in ("en", "es"):
        services.report_text_save(
            actor=reviewer,
            cycle=cycle,
            language=language,
            introduction=INTRODUCTION,
            conclusions=CONCLUSIONS,
        )


def _edition(language: str, *, final: bool = False) -> Edition:
    spec = pdf.ReportSpec(
        cycle=ReportingCycle.objects.get(is_open=True),
        member_state=None,
        language=language,
        as_of=timezone.now(),
        final=final,
    )
    with translation.override(language):
        html = pdf.render_html(pdf.build(pdf.gather(spec), generated_at=GENERATED_AT))
    return Edition(html=html, docx=html_to_docx(html))


@pytest.fixture(scope="module")
def editions(django_db_setup, django_db_blocker) -> dict[str, Edition]:
    with django_db_blocker.unblock(), transaction.atomic():
        _updates()
        compiled = {
            "en": _edition("en"),
            "es": _edition("es"),
            "final": _edition("en", final=True),
        }
        transaction.set_rollback(True)
    return compiled


@pytest.fixture
def english(editions) -> Edition:
    return editions["en"]


def _headings(document) -> list[tuple[str, str]]:
    return [
        (paragraph.style.name, paragraph.text.strip())
        for paragraph in document.paragraphs
        if paragraph.style.name.startswith("Heading")
    ]


def _all_text(document) -> str:
    """The body's paragraphs and tables' cells, and the footnotes."""
    body = etree.tostring(document.element.body, method="text", encoding="unicode")
    return " ".join((body + " " + _footnotes_text(document)).split())


def _footnotes_part(document):
    for relationship in document.part.rels.values():
        if relationship.reltype.endswith("/footnotes"):
            return etree.fromstring(relationship.target_part.blob)
    return None


def _footnotes_text(document) -> str:
    part = _footnotes_part(document)
    if part is None:
        return ""
    return etree.tostring(part, method="text", encoding="unicode")


def test_chapters_and_recommendations_are_word_headings(english):
    headings = _headings(english.document)
    assert ("Heading 1", "Executive summary") in headings
    assert ("Heading 1", "Introduction") in headings
    assert ("Heading 1", "Conclusions") in headings
    for theme in Theme.objects.filter(instrument__is_current=True):
        assert ("Heading 1", theme.title) in headings, theme.title
    titles = dict(
        Recommendation.objects.filter(instrument__is_current=True).values_list(
            "number", "short_title"
        )
    )
    # A recommendation's heading gives its short title.
    named = {n: f"Recommendation {n} — {title}" for n, title in titles.items()}
    for number, heading in named.items():
        assert ("Heading 2", heading) in headings, number
    # Headings keep the PDF's order: the introduction before the first recommendation.
    texts = [text for _, text in headings]
    assert texts.index("Introduction") < texts.index(named[1])
    assert texts.index(named[1]) < texts.index(named[22])


def test_the_secretariat_s_markdown_headings_are_word_headings(english):
    # "#" in the Secretariat's text sits under the chapter's Heading 1.
    assert ("Heading 2", "Scope of the report") in _headings(english.document)


def test_tables_are_word_tables_with_their_cells(english):
    tables = english.document.tables
    rows = [[cell.text.strip() for cell in row.cells] for t in tables for row in t.rows]
    # The executive summary's table of themes: a header row, a row per theme.
    assert any(row[:2] == ["Theme", "Largely or fully implemented"] for row in rows)
    themes = {t.title for t in Theme.objects.filter(instrument__is_current=True)}
    assert any(row[0] in themes and row[1].endswith("%") for row in rows)
    # The overview: a row per participating state, a column per recommendation.
    overview = next(row for row in rows if row[:3] == ["Member state", "1", "2"])
    assert "21" in overview
    assert any(row[0] == "Mexico" for row in rows)
    # The Secretariat's pipe table, too.
    assert ["Source", "Updates"] in rows
    assert ["Questionnaire", "42"] in rows


def test_the_secretariat_s_footnotes_are_word_footnotes(english):
    document = english.document
    part = _footnotes_part(document)
    assert part is not None
    notes = [
        " ".join(etree.tostring(note, method="text", encoding="unicode").split())
        for note in part.iter(qn("w:footnote"))
        if note.get(qn("w:type")) is None  # not the separators
    ]
    assert NOTE in notes
    # A footnote reference in the text, where the marker was; no "[^1]" or "1" link.
    assert document.element.body.findall(".//" + qn("w:footnoteReference"))
    assert "[^1]" not in _all_text(document)


def test_every_chart_is_a_picture_with_its_text_alternative(english):
    charts = len(re.findall(r"<svg\b", english.html))
    assert charts >= 22  # one per recommendation at least, and the summary's
    document = english.document
    pictures = document.inline_shapes
    assert len(pictures) >= charts
    descriptions = [shape._inline.docPr.get("descr") for shape in pictures]
    # Each picture says what its chart says to a screen reader (title, description).
    assert all(descriptions)
    titles = re.findall(r'<title id="chart-[^"]+-title">([^<]+)</title>', english.html)
    assert len(titles) == charts
    for title in titles:
        said = html_lib.unescape(title)
        assert any(d.startswith(said) for d in descriptions), said
    assert any(d.startswith("Recommendation 1 — ") for d in descriptions)
    images = [
        part
        for part in document.part.package.parts
        if part.partname.startswith("/word/media/")
    ]
    assert images
    assert all(part.content_type == "image/png" for part in images)


def test_lists_are_word_lists(english):
    document = english.document
    numbered = [
        paragraph
        for paragraph in document.paragraphs
        if paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    ]
    assert any(p.text.strip() == "Executive summary" for p in numbered)  # contents


def test_the_document_is_in_the_edition_s_language(editions):
    for language in ("en", "es"):
        document = editions[language].document
        assert document.core_properties.language == language
        defaults = document.styles.element.find(qn("w:docDefaults"))
        lang = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
        assert lang.get(qn("w:val")) == language
    spanish = _headings(editions["es"].document)
    assert ("Heading 1", "Resumen ejecutivo") in spanish


def test_the_cover_opens_the_document_and_the_title_is_its_property(editions):
    for edition in (editions["en"], editions["final"]):
        document = edition.document
        title = [p.text for p in document.paragraphs if p.style.name == "Title"]
        assert title == ["Hemispheric progress report"]
        first = next(p for p in document.paragraphs if p.text.strip())
        assert first.text.strip() == "Organization of American States"
        assert "Hemispheric progress report" in document.core_properties.title
        assert document.core_properties.author == (
            "General Secretariat of the Organization of American States"
        )
    # The cover's title comes before the contents and the first chapter.
    paragraphs = [p.text.strip() for p in editions["en"].document.paragraphs]
    assert paragraphs.index("Hemispheric progress report") < paragraphs.index(
        "Contents"
    )


def _headers(document) -> list[str]:
    """The texts of the pages' headers (reading a missing one would add it)."""
    return [
        paragraph.text.strip()
        for section in document.sections
        if not section.header.is_linked_to_previous
        for paragraph in section.header.paragraphs
    ]


def test_a_draft_says_so_at_the_top_of_every_page_and_a_final_edition_does_not(
    editions,
):
    assert _headers(editions["en"].document) == ["DRAFT"]
    with translation.override("es"):
        assert _headers(editions["es"].document) == [gettext("DRAFT")]
    assert editions["en"].document.core_properties.title.startswith("DRAFT")
    final = editions["final"].document
    assert _headers(final) == []
    assert "Draft: not for circulation" in _all_text(editions["en"].document)
    assert "Draft: not for circulation" not in _all_text(final)
    assert not final.core_properties.title.startswith("DRAFT")


def test_a_confidential_narrative_never_reaches_the_document(english, editions):
    assert "witness-protection" not in english.html
    for edition in editions.values():
        assert "witness-protection" not in _all_text(edition.document)
    assert "trained two hundred inspectors" in _all_text(english.document)


def test_the_same_html_gives_the_same_bytes(english):
    assert html_to_docx(english.html) == english.docx
