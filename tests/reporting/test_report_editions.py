"""The report in Spanish, French and Portuguese: the catalogue in the edition's
language, working translations marked and said on the cover, narratives in theirs.

A small report (a few accepted updates, the whole catalogue) is compiled once per
module and language with the ``compile_report`` command, inside a transaction that is
rolled back, and read back with pdftotext. The full demo report is English's, in
test_report_content.py; what the editions' HTML says is checked without laying it out.
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader

from accounts.models import Role
from recommendations.models import (
    Footnote,
    Instrument,
    MemberState,
    Recommendation,
    ReportingCycle,
    Status,
    Theme,
)
from recommendations.services import MeasureData
from recommendations.translations.texts import translate
from reporting import pdf
from reporting.models import ReportRun
from reporting.selectors import status_matrix
from tests import factories
from tests.pdf import pdf_text, squeeze

EDITIONS = ("es", "fr", "pt")
CONFIDENTIAL = "Sealed witness-protection arrangement with the prosecutor's office"
ENGLISH_NARRATIVE = "The unit **trained two hundred inspectors** in Monterrey."
PORTUGUESE_NARRATIVE = "A comissão **capacitou duzentos inspetores** em Manaus."
STATE_NAMES = {
    "es": ("México", "Brasil"),
    "fr": ("Mexique", "Brésil"),
    "pt": ("México", "Brasil"),
}
WORKING_NOTE = (
    "This edition uses working translations of the recommendations and other "
    "catalogue texts, marked with a dagger; they are not official translations, and "
    "the English text is authoritative."
)


@dataclass
class Edition:
    language: str
    pdf: bytes
    text: str
    run: ReportRun
    silent: list[str]

    @property
    def squeezed(self) -> str:
        return squeeze(self.text)

    @property
    def cover(self) -> str:
        return self.text.split("\f", 1)[0]


def _updates() -> None:
    focal_mex = factories.focal_point("MEX", username="edition-maria")
    focal_bra = factories.focal_point("BRA", username="edition-bruno")
    reviewer = factories.secretariat(Role.REVIEWER, username="edition-rita")
    factories.progress_update(
        "MEX",
        1,
        author=focal_mex,
        reviewer=reviewer,
        status="largely_implemented",
        summary="Inspectors were trained in three states.",
        narrative=ENGLISH_NARRATIVE,
        narrative_language="en",
    )
    factories.progress_update(
        "BRA",
        7,
        author=focal_bra,
        reviewer=reviewer,
        status="fully_implemented",
        summary="O plano nacional foi aprovado por decreto.",
        narrative=PORTUGUESE_NARRATIVE,
        narrative_language="pt",
        measures=[MeasureData(kind="policy", title="Plano nacional de enfrentamento")],
    )
    factories.progress_update(
        "MEX",
        5,
        author=focal_mex,
        reviewer=reviewer,
        narrative=CONFIDENTIAL,
        narrative_visibility="confidential",
    )


def _compile(language: str, folder: Path) -> Edition:
    output = folder / f"report-{language}.pdf"
    call_command("compile_report", "--output", str(output), "--language", language)
    data = output.read_bytes()
    run = ReportRun.objects.get(language=language)
    cycle = ReportingCycle.objects.get(is_open=True)
    with translation.override(language):
        silent = [s.name for s in status_matrix(cycle=cycle).silent_states]
    return Edition(language, data, pdf_text(data), run, silent)


@pytest.fixture(scope="module")
def editions(django_db_setup, django_db_blocker, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("editions")
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(MEDIA_ROOT=folder / "media"),
    ):
        _updates()
        compiled = {language: _compile(language, folder) for language in EDITIONS}
        transaction.set_rollback(True)
    return compiled


@pytest.fixture(params=EDITIONS)
def edition(request, editions) -> Edition:
    with translation.override(request.param):
        yield editions[request.param]


def _html(language: str, member_state: MemberState | None = None) -> str:
    """An edition's HTML, without WeasyPrint's layout."""
    cycle = ReportingCycle.objects.get(is_open=True)
    spec = pdf.ReportSpec(
        cycle=cycle, member_state=member_state, language=language, as_of=timezone.now()
    )
    with translation.override(language):
        return pdf.render_html(pdf.build(pdf.gather(spec)))


def _translated(obj, field: str, language: str) -> tuple[str, str]:
    """The English text and its translation, which the fixtures always have."""
    found = translate(obj, field, language)
    assert not found.is_fallback, (obj, field, language)
    return getattr(obj, field), found.text


def _catalogue(language: str) -> list[tuple[str, str]]:
    """Every catalogue text a report prints: its English and its translation."""
    instrument = Instrument.objects.current()
    cycle = ReportingCycle.objects.get(is_open=True)
    pairs = [
        _translated(instrument, "short_title", language),
        _translated(instrument, "title", language),
        _translated(cycle, "name", language),
        _translated(cycle, "meeting", language),
    ]
    pairs += [_translated(t, "title", language) for t in instrument.themes.all()]
    pairs += [
        _translated(r, "text", language) for r in instrument.recommendations.all()
    ]
    pairs += [
        _translated(f.repeats or f, "text", language)
        for f in instrument.footnotes.all()
    ]
    return pairs


# --- The command, in each language --------------------------------------------------

pytestmark = pytest.mark.django_db


def test_compile_report_writes_each_language(edition):
    run = edition.run
    assert (run.language, run.state, run.member_state) == (
        edition.language,
        "succeeded",
        None,
    )
    assert len(PdfReader(io.BytesIO(edition.pdf)).pages) == run.page_count > 10
    assert squeeze(gettext("Hemispheric progress report")) in edition.squeezed


# --- The catalogue in the edition's language ----------------------------------------


def test_every_recommendation_text_is_in_the_edition_s_language(edition):
    recommendations = Recommendation.objects.filter(instrument__is_current=True)
    assert recommendations.count() == 22
    for recommendation in recommendations:
        english, translated = _translated(recommendation, "text", edition.language)
        assert squeeze(translated) in edition.squeezed, recommendation.number
        assert squeeze(english) not in edition.squeezed, recommendation.number
        heading = gettext("Recommendation %(number)s") % {
            "number": recommendation.number
        }
        assert heading in edition.text


def test_no_english_catalogue_text_appears(edition):
    """Theme titles, recommendations, footnotes, the instrument's title, the meetings'
    and the cycle's names: each in translation, never in English."""
    for english, translated in _catalogue(edition.language):
        assert squeeze(translated) in edition.squeezed, translated
        if squeeze(english) in squeeze(translated):
            continue  # the same words in both languages ("Corruption", "Idem 2")
        assert squeeze(english) not in edition.squeezed, english
    for theme in Theme.objects.filter(instrument__is_current=True):
        _english, title = _translated(theme, "title", edition.language)
        # Its chapter, its line in the contents, its row in the summary's table.
        assert edition.squeezed.count(squeeze(title)) >= 3, title


def test_the_report_is_addressed_to_the_meeting_in_its_language(edition):
    cycle = ReportingCycle.objects.get(is_open=True)
    _english, meeting = _translated(cycle, "meeting", edition.language)
    cover = " ".join(edition.cover.split())
    assert meeting in cover
    assert "Eighth Meeting" not in edition.text


def test_the_title_footnote_is_printed_once(edition):
    instrument = Instrument.objects.current()
    title_notes = instrument.footnotes.filter(on_title=True)
    assert title_notes
    for footnote in title_notes:
        _english, text = _translated(footnote, "text", edition.language)
        assert edition.squeezed.count(squeeze(text)) == 1


def test_the_cover_says_the_edition_uses_working_translations(edition):
    assert squeeze(gettext(WORKING_NOTE)) in squeeze(edition.cover)
    # Each recommendation's text and each theme's title carries the dagger.
    assert edition.text.count("†") >= 22 + 8


def test_state_names_and_statuses_are_in_the_edition_s_language(edition):
    mexico, brazil = STATE_NAMES[edition.language]
    text = " ".join(edition.text.split())
    # Annex A: each state's profile under its name, each update under its number.
    profiles = text.split(
        gettext("Annex A. Profiles of the member states that reported")
    )
    for name, number, status in (
        (mexico, 1, Status.LARGELY_IMPLEMENTED),
        (brazil, 7, Status.FULLY_IMPLEMENTED),
    ):
        profile = profiles[-1].split(f" {name} ", 1)[1]
        entry = gettext("Recommendation %(number)s: %(status)s.") % {
            "number": number,
            "status": status.label,
        }
        assert " ".join(entry.split()) in profile  # French: a no-break space
    for label in Status.labels:
        assert str(label) in edition.text
    annex_b = edition.text.split(gettext("Annex B. Member states that did not report"))
    for name in edition.silent:
        assert squeeze(name) in squeeze(annex_b[-1]), name


def test_the_table_of_contents_gives_the_right_pages(edition):
    reader = PdfReader(io.BytesIO(edition.pdf))
    contents = " ".join(edition.text.split(gettext("Contents"), 1)[1].split())
    last = Recommendation.objects.get(instrument__is_current=True, number=22)
    for heading in (
        gettext("Executive summary"),
        last.heading,  # "Recommendation 22 — its short title", maybe on two lines
        gettext("Methodology"),
    ):
        match = re.search(rf"{re.escape(heading)}\W*?(?:\.\s*)+(\d+)", contents)
        assert match, heading
        page = reader.pages[int(match[1]) - 1].extract_text()
        assert heading in " ".join(page.split())
    page_two = gettext("Page %(page)s of %(pages)s") % {"page": 2, "pages": ""}
    assert page_two.strip() in edition.text


def test_narratives_stay_in_their_language_and_confidential_ones_never_appear(
    edition,
):
    text = " ".join(edition.text.split())
    assert "trained two hundred inspectors" in text
    assert "capacitou duzentos inspetores" in text
    assert "**" not in text
    assert "witness-protection" not in text


# --- What the HTML says about each text ---------------------------------------------


@pytest.mark.parametrize("language", EDITIONS)
def test_narratives_are_marked_with_the_language_they_were_written_in(
    language, some_updates
):
    _mexico_in_english, brazil = some_updates
    brazil.narrative, brazil.narrative_language = PORTUGUESE_NARRATIVE, "pt"
    brazil.save(update_fields=["narrative", "narrative_language"])
    html = _html(language)
    assert f'<html lang="{language}">' in html
    assert re.search(r'<div lang="en">\s*<p>The <strong>committee</strong>', html)
    assert '<span lang="en">A national plan is under way' in html
    assert '<span lang="en">National action plan</span>' in html
    portuguese = re.compile(r'<div lang="pt">\s*<p>A comissão <strong>capacitou')
    if language == "pt":
        assert "<p>A comissão <strong>capacitou" in html
        assert not portuguese.search(html)
    else:
        assert portuguese.search(html)


def test_an_untranslated_text_is_shown_in_english_marked_and_noted(cycle):
    recommendation = Recommendation.objects.get(instrument__is_current=True, number=3)
    recommendation.translations.pop("fr")
    recommendation.save(update_fields=["translations"])
    html = _html("fr")
    block = re.search(
        r'<blockquote class="recommendation-text" lang="en"><p>(.*?)</p></blockquote>',
        html,
    )
    assert block and block[1] == recommendation.text  # no dagger: it is no translation
    assert html.count('class="recommendation-text" lang="en"') == 1
    with translation.override("fr"):
        assert gettext("Not yet translated: shown in English.") in html
        assert (
            gettext(
                "Some catalogue texts are not yet translated into the language of this "
                "edition: they are shown in English, with a note."
            )
            in html
        )


def test_an_official_translation_shows_its_reference_and_no_dagger(cycle):
    recommendation = Recommendation.objects.get(instrument__is_current=True, number=4)
    entry = recommendation.translations["es"]["text"]
    entry.update(standing="official", reference="OEA/Ser.K/XXXIX.7")
    recommendation.save(update_fields=["translations"])
    html = _html("es")
    block = re.search(r'id="rec-4">(.*?)</section>', html, re.DOTALL)[1]
    assert f"<p>{entry['text']}</p></blockquote>" in block.replace("&#x27;", "'")
    assert "OEA/Ser.K/XXXIX.7" in block
    assert "†" not in block
    # The other texts are still working translations: the cover still says so.
    assert 'id="working-translations"' in html


def test_an_edition_with_only_official_translations_says_nothing_of_working_ones(
    cycle,
):
    for model in (
        Instrument,
        Footnote,
        Theme,
        Recommendation,
        ReportingCycle,
        MemberState,
    ):
        for obj in model.objects.all():
            for fields in obj.translations.get("pt", {}).values():
                fields.update(standing="official", reference="OEA/Ser.K/XXXIX.7")
            obj.save(update_fields=["translations"])
    html = _html("pt")
    assert "working-translations" not in html
    assert "†" not in html


def test_the_english_edition_has_no_translation_marks(cycle):
    html = _html("en")
    assert "working-translations" not in html
    assert "†" not in html
    assert ' lang="en"' not in html.split("<body>", 1)[1]
