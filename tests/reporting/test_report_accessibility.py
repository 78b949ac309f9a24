"""The report as a tagged PDF (PDF/UA-1): what a screen reader and a PDF viewer get.

A small report (two accepted updates, the whole catalogue) is compiled once per module
in English and in Spanish, at one as-of, inside a transaction that is rolled back, and
read back with pypdf: the catalog, the metadata and the structure tree.
"""

import hashlib
import html
import io
import re
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from accounts.models import Role
from recommendations.models import ReportingCycle
from reporting import pdf
from reporting.labels import category_labels
from reporting.selectors import NO_INFORMATION
from tests import factories

LANGUAGES = ("en", "es")

pytestmark = pytest.mark.django_db


@dataclass
class Compiled:
    pdf: bytes
    html: str
    again: tuple[str, bytes]  # the same data and as-of, compiled a second time

    @property
    def reader(self) -> PdfReader:
        return PdfReader(io.BytesIO(self.pdf))


def _updates() -> None:
    reviewer = factories.secretariat(Role.REVIEWER, username="tagged-rita")
    factories.progress_update(
        "MEX",
        1,
        author=factories.focal_point("MEX", username="tagged-maria"),
        reviewer=reviewer,
        status="largely_implemented",
    )
    factories.progress_update(
        "BRA",
        7,
        author=factories.focal_point("BRA", username="tagged-bruno"),
        reviewer=reviewer,
        status="fully_implemented",
    )


@pytest.fixture(scope="module")
def compiled(django_db_setup, django_db_blocker) -> dict[str, Compiled]:
    with django_db_blocker.unblock(), transaction.atomic():
        _updates()
        cycle = ReportingCycle.objects.get(is_open=True)
        as_of = timezone.now()
        result = {}
        for language in LANGUAGES:
            spec = pdf.ReportSpec(
                cycle=cycle, member_state=None, language=language, as_of=as_of
            )
            html, first = _compile(spec)
            again = _compile(spec) if language == "en" else (html, first)
            result[language] = Compiled(pdf=first, html=html, again=again)
        transaction.set_rollback(True)
    return result


def _compile(spec: pdf.ReportSpec) -> tuple[str, bytes]:
    """The pipeline's PDF stages, without the other formats it also writes."""
    with translation.override(spec.language):
        markup = pdf.render_html(pdf.build(pdf.gather(spec)))
        return markup, pdf.write(pdf.layout(markup)).pdf


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def _structure(reader: PdfReader):
    """Every structure element of the tree, depth first."""
    root = _resolve(reader.trailer["/Root"]["/StructTreeRoot"])
    pending = [root]
    while pending:
        node = _resolve(pending.pop())
        if not hasattr(node, "get"):
            continue  # a marked-content id
        if node.get("/Type") == "/StructElem":
            yield node
        kids = node.get("/K")
        if kids is None:
            continue
        kids = _resolve(kids)
        pending.extend(kids if isinstance(kids, list) else [kids])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdf_is_tagged_with_a_structure_tree(compiled, language):
    catalog = compiled[language].reader.trailer["/Root"]

    assert "/StructTreeRoot" in catalog
    assert bool(catalog["/MarkInfo"]["/Marked"]) is True
    tags = {str(element["/S"]) for element in _structure(compiled[language].reader)}
    assert {"/Document", "/H1", "/P", "/Figure"} <= tags


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdf_says_its_language_and_title(compiled, language):
    reader = compiled[language].reader
    catalog = reader.trailer["/Root"]
    title = html.unescape(
        re.search(r"<title>(.*?)</title>", compiled[language].html, re.S)[1].strip()
    )

    assert catalog["/Lang"] == language
    assert title
    assert reader.metadata.title == title
    # A viewer shows the title, not the file name, in its window.
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp
    assert html.escape(title, quote=False) in xmp


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_figure_has_a_text_alternative_with_its_counts(compiled, language):
    figures = [
        element
        for element in _structure(compiled[language].reader)
        if element["/S"] == "/Figure"
    ]
    with translation.override(language):
        no_information = str(category_labels()[NO_INFORMATION]).lower()

    assert len(figures) > 10  # the summary's, the themes' and each recommendation's
    assert all(str(figure.get("/Alt", "")).strip() for figure in figures)
    alternatives = [str(figure["/Alt"]) for figure in figures]
    # The counts in words, in the edition's language: "31 no information".
    assert all(re.search(r"\d", text) for text in alternatives)
    assert any(no_information in text.lower() for text in alternatives)


@pytest.mark.parametrize("language", LANGUAGES)
def test_headings_are_bookmarks(compiled, language):
    def titles(outline):
        for item in outline:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield item.title

    outline = compiled[language].reader.outline
    with translation.override(language):
        first = gettext("Recommendation %(number)s") % {"number": 1}

    # "Recommendation 1 — its short title": the number, then its title.
    assert any(title.startswith(f"{first} ") for title in titles(outline))
    # Nested: the recommendations under their theme.
    assert any(isinstance(item, list) for item in outline)


def test_the_same_data_and_as_of_give_the_same_bytes(compiled):
    first = compiled["en"]
    again_html, again = first.again

    assert again_html == first.html
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(first.pdf).hexdigest()
