"""The catalogue matches the source document the project ships with."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from recommendations.models import Instrument, MemberState, Recommendation, Theme

SOURCE = (
    Path(__file__).resolve().parents[2]
    / "fixtures/source/seventh-meeting-draft-recommendations.txt"
)

THEMES = [
    "Multidimensional approach",
    "The role of technology and capacity building",
    "Preventing trafficking in persons in the supply chain",
    "Financial investigations and intelligence",
    "Corruption",
    "Public awareness and capacity building",
    "Trauma-informed, victim- and survivor-centered assistance",
    "Follow-up",
]
RECOMMENDATIONS_PER_THEME = [1, 3, 3, 4, 1, 2, 6, 2]


def source_paragraphs() -> list[str]:
    """The operative paragraphs of the source, each with Word's markup taken out."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    paragraphs = [line.strip()[3:] for line in lines if line.strip().startswith("1. ")]
    cleaned = []
    for paragraph in paragraphs:
        paragraph = re.sub(r"\[bookmark: [^\]]*\]", "", paragraph)
        paragraph = re.sub(r"\[footnoteRef:\d+\]/", "", paragraph)
        paragraph = re.sub(r"\s*\[\d+: [^\]]*\]\s*$", "", paragraph)
        cleaned.append(paragraph.strip())
    return cleaned


@pytest.fixture
def current(db):
    return Instrument.objects.current()


def test_the_source_has_22_operative_paragraphs():
    assert len(source_paragraphs()) == 22


def test_every_recommendation_text_is_the_source_word_for_word(current):
    recommendations = list(current.recommendations.order_by("number"))
    assert [r.number for r in recommendations] == list(range(1, 23))
    for recommendation, paragraph in zip(
        recommendations, source_paragraphs(), strict=True
    ):
        # What follows the text in the source is only its citation of the Work Plan.
        assert paragraph.startswith(recommendation.text), recommendation.number
        citation = paragraph[len(recommendation.text) :].strip()
        if recommendation.source_paragraph is None:
            assert citation == ""
        else:
            prefix = "Based on paragraph" if recommendation.based_on else "Paragraph"
            assert citation == (
                f"({prefix} {recommendation.source_paragraph} of the Guidelines "
                "of the Third Work Plan on Trafficking in Persons)"
            )
        assert "[" not in recommendation.text and "footnote" not in recommendation.text


def test_themes_in_order_with_their_recommendations(current):
    themes = list(current.themes.order_by("position"))
    assert [theme.title for theme in themes] == THEMES
    assert [
        theme.recommendations.count() for theme in themes
    ] == RECOMMENDATIONS_PER_THEME
    numbers = [
        list(theme.recommendations.order_by("number").values_list("number", flat=True))
        for theme in themes
    ]
    assert [n for group in numbers for n in group] == list(range(1, 23))
    assert (
        Theme.objects.get(title="Corruption")
        .recommendations.get()
        .text.startswith("Conduct robust, transparent criminal investigations")
    )


def test_source_paragraphs_and_addressees(current):
    by_number = {r.number: r for r in current.recommendations.all()}
    assert by_number[1].source_paragraph == 10
    assert by_number[3].source_paragraph == 50 and by_number[3].based_on
    assert [n for n, r in by_number.items() if r.based_on] == [3]
    assert (
        by_number[21].source_paragraph is None
        and by_number[22].source_paragraph is None
    )
    assert by_number[22].addressee == Recommendation.Addressee.SECRETARIAT
    assert all(
        r.addressee == Recommendation.Addressee.MEMBER_STATES
        for n, r in by_number.items()
        if n != 22
    )


def test_footnotes_keep_printed_numbers_and_idem_resolves(current):
    title_note = current.footnotes.get(on_title=True)
    assert title_note.number == 1
    assert "operative paragraphs 21 and 22" in title_note.text
    paraguay = current.recommendations.get(number=1).footnotes.get()
    assert paraguay.number == 2
    assert paraguay.text.endswith('"in accordance with domestic laws."')
    idem = current.recommendations.get(number=14).footnotes.get()
    assert idem.number == 3 and idem.text == "Idem 2"
    assert idem.resolved_text == paraguay.text
    assert sum(r.footnotes.count() for r in current.recommendations.all()) == 2


def test_instrument_as_printed(current):
    assert current.is_draft and current.document_symbol == ""
    assert current.agreed_on.isoformat() == "2023-02-05"  # kept as printed
    assert current.meeting_start.isoformat() == "2024-02-05"
    assert (
        current.reports_to
        == "Eighth Meeting of National Authorities on Trafficking in Persons"
    )


# fmt: off
EXPECTED_ISO3 = {
    "ATG", "ARG", "BHS", "BRB", "BLZ", "BOL", "BRA", "CAN", "CHL", "COL", "CRI", "CUB",
    "DMA", "DOM", "ECU", "SLV", "USA", "GRD", "GTM", "GUY", "HTI", "HND", "JAM", "MEX",
    "NIC", "PAN", "PRY", "PER", "KNA", "LCA", "VCT", "SUR", "TTO", "URY", "VEN",
}
# fmt: on


@pytest.mark.django_db
def test_35_member_states_with_iso3_codes_and_participation():
    assert set(MemberState.objects.values_list("iso3", flat=True)) == EXPECTED_ISO3
    assert set(
        MemberState.objects.filter(participating=False).values_list("iso3", flat=True)
    ) == {"CUB", "NIC", "VEN"}


@pytest.mark.django_db
def test_member_state_names_come_from_cldr():
    babel = pytest.importorskip("babel")
    from fixtures.build_member_states import ENGLISH_FULL_NAMES

    for state in MemberState.objects.all():
        for language in ("es", "fr", "pt"):
            assert (
                getattr(state, f"name_{language}")
                == babel.Locale(language).territories[state.iso2]
            )
        expected_en = (
            ENGLISH_FULL_NAMES.get(state.iso2)
            or babel.Locale("en").territories[state.iso2]
        )
        assert state.name_en == expected_en
    mexico = MemberState.objects.get(iso3="MEX")
    assert (mexico.name_en, mexico.name_es, mexico.name_fr, mexico.name_pt) == (
        "Mexico",
        "México",
        "Mexique",
        "México",
    )


@pytest.mark.django_db
def test_migrating_again_keeps_the_secretariats_edits():
    recommendation = Recommendation.objects.get(number=5)
    recommendation.translations["es"]["text"] = {
        "text": "Texto revisado por la Secretaría.",
        "standing": "official",
        "reference": "RTP-VII/doc.5/24",
    }
    recommendation.save()
    call_command("migrate", verbosity=0)
    kept = Recommendation.objects.get(number=5).translated
    with translation.override("es"):
        assert (kept.text.text, kept.text.standing, kept.text.reference) == (
            "Texto revisado por la Secretaría.",
            "official",
            "RTP-VII/doc.5/24",
        )
    assert Recommendation.objects.count() == 22
