"""What the PDF says: compiled from the demo data, read back with pdftotext and pypdf.

The report is compiled once per module (in English, and Mexico's own) inside a
transaction that is rolled back, so the tests share it without leaving data behind.
The other languages' editions are tested in test_report_editions.py.
"""

import io
import re
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts.models import User
from recommendations.demo import seed_demo_users
from recommendations.demo_updates import seed_demo_updates
from recommendations.models import (
    MemberState,
    Recommendation,
    ReportingCycle,
    Status,
    Theme,
)
from reporting import pipeline, services
from reporting.selectors import status_matrix
from tests import factories
from tests.pdf import pdf_text, squeeze

CONFIDENTIAL = "Sealed witness-protection arrangement with the prosecutor's office"
MARKUP = (
    'The unit <script>alert("owned")</script> trained **two hundred** inspectors '
    "and [reported it](javascript:alert(1))."
)
INTRODUCTION = "This report is the Secretariat's **first** to the Eighth Meeting."
CONCLUSIONS = "States advanced most where *inter-institutional committees* met often."


@dataclass
class Compiled:
    pdf: bytes
    html: str
    text: str
    page_count: int
    reporting: list[str]
    silent: list[str]


def _compile(language: str, iso3: str | None = None) -> Compiled:
    cycle = ReportingCycle.objects.get(is_open=True)
    state = MemberState.objects.get(iso3=iso3) if iso3 else None
    as_of = timezone.now()
    report = pipeline.report_compile(
        cycle=cycle, language=language, member_state=state, as_of=as_of
    )
    matrix = status_matrix(cycle=cycle, as_of=as_of)
    with translation.override(language):
        reporting = [s.name for s in matrix.reporting_states]
        silent = [s.name for s in matrix.silent_states]
    return Compiled(
        pdf=report.pdf,
        html=report.html,
        text=pdf_text(report.pdf),
        page_count=report.page_count,
        reporting=reporting,
        silent=silent,
    )


@pytest.fixture(scope="module")
def reports(django_db_setup, django_db_blocker) -> dict[str, Compiled]:
    """The demo data plus a confidential and a marked-up narrative, compiled."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo_users()
        cycle = ReportingCycle.objects.get(is_open=True)
        seed_demo_updates(cycle)
        focal, reviewer = (
            User.objects.get(username="focal-mex"),
            User.objects.get(username="reviewer"),
        )
        mexico = MemberState.objects.get(iso3="MEX")
        factories.progress_update(
            mexico,
            5,
            author=focal,
            reviewer=reviewer,
            cycle=cycle,
            narrative=CONFIDENTIAL,
            narrative_visibility="confidential",
        )
        factories.progress_update(
            mexico,
            6,
            author=focal,
            reviewer=reviewer,
            cycle=cycle,
            narrative=MARKUP,
            narrative_visibility="public",
        )
        services.report_text_save(
            actor=User.objects.get(username="secretariat"),
            cycle=cycle,
            language="en",
            introduction=INTRODUCTION,
            conclusions=CONCLUSIONS,
        )
        # The other languages' editions: test_report_editions.py, on a smaller report.
        compiled = {"en": _compile("en"), "MEX": _compile("en", "MEX")}
        transaction.set_rollback(True)
    return compiled


@pytest.fixture
def english(reports) -> Compiled:
    return reports["en"]


@pytest.mark.django_db
def test_every_recommendation_text_is_in_the_report(english):
    recommendations = Recommendation.objects.filter(instrument__is_current=True)
    assert recommendations.count() == 22
    text = squeeze(english.text)
    for recommendation in recommendations:
        assert squeeze(recommendation.text) in text, recommendation.number
        assert f"Recommendation {recommendation.number}" in english.text


@pytest.mark.django_db
def test_every_theme_and_every_reporting_state_is_named(english):
    for theme in Theme.objects.filter(instrument__is_current=True):
        assert squeeze(theme.title) in squeeze(english.text), theme.title
    assert len(english.reporting) >= 20
    for name in english.reporting:
        # Each reporting state has its profile, under its name.
        assert squeeze(name) in squeeze(english.text), name
    annex_b = english.text.split("Annex B. Member states that did not report")[-1]
    for name in english.silent:
        assert squeeze(name) in squeeze(annex_b), name


@pytest.mark.django_db
def test_statuses_are_shown_with_their_counts(english):
    for label in Status.labels:
        assert str(label) in english.text
    assert "No information" in english.text
    # Mexico's demo update on recommendation 1 is largely implemented.
    assert re.search(r"Largely implemented \(\d+\)", english.text)
    # Annex A: Mexico's profile, each update under its recommendation.
    profiles = english.text.split("Annex A. Profiles of the member states")[-1]
    mexico = profiles.split("\nMexico\n", 1)[1]
    assert "Recommendation 1: Largely implemented." in mexico


@pytest.mark.django_db
def test_the_table_of_contents_gives_the_right_pages(english):
    reader = PdfReader(io.BytesIO(english.pdf))
    assert len(reader.pages) == english.page_count
    contents = english.text.split("Contents", 1)[1]
    # A recommendation's heading gives its short title.
    last = "Recommendation 22 — Secretariat progress report"
    for heading in ("Executive summary", last, "Methodology"):
        match = re.search(rf"{heading}\s*(?:\.\s*)+(\d+)", contents)
        assert match, heading
        page = reader.pages[int(match[1]) - 1].extract_text()
        assert heading in page
    assert "Page 2 of" in english.text


@pytest.mark.django_db
def test_confidential_narratives_never_appear(english, reports):
    for compiled in reports.values():
        assert "witness-protection" not in compiled.text
        assert "witness-protection" not in compiled.html


@pytest.mark.django_db
def test_narratives_with_markup_come_out_as_text(english):
    text = " ".join(english.text.split())
    assert "two hundred inspectors" in text
    assert "**" not in text
    # The script tag is printed as the words someone typed, never run or parsed.
    assert '<script>alert("owned")</script>' in text
    assert "<script" not in english.html.lower()
    assert 'href="javascript' not in english.html


@pytest.mark.django_db
def test_the_secretariat_texts_open_and_close_the_report(english):
    text = " ".join(english.text.split())
    assert "This report is the Secretariat's first to the Eighth Meeting." in text
    assert "States advanced most where inter-institutional committees met often." in (
        text
    )


@pytest.mark.django_db
def test_the_report_says_what_it_covers(english):
    text = " ".join(english.text.split())
    assert "Hemispheric progress report" in text
    assert "Eighth Meeting of National Authorities on Trafficking in Persons" in text
    assert "Data as of" in text
    assert re.search(r"\d+ accepted updates, from \d+ member states", text)
    assert "Technical assistance most requested" in text
    assert "Training" in text


@pytest.mark.django_db
def test_a_state_report_is_its_profile_and_nobody_else_s(reports):
    mexico = " ".join(reports["MEX"].text.split())
    assert "Mexico: progress report" in mexico
    assert "Status on each recommendation" in mexico
    assert "two hundred inspectors" in mexico
    assert "Brazil" not in mexico
    assert "Annex A" not in mexico
    assert "witness-protection" not in mexico
