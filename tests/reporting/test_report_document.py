"""The hemispheric report as a document for the Meeting: its structure, its figures
against the database (recomputed here, independently of reporting.selectors), the
previous cycle's comparison, the Secretariat's texts, the DRAFT mark, the layout.

The demo data, a closed previous cycle and the Secretariat's texts are compiled once
per module, as a draft and as the final edition, inside a transaction that is rolled
back. The full-scale report (``seed_full_scale`` defaults) is compiled once, in the
last test, which takes a few minutes.
"""

import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts.models import User
from recommendations.demo import seed_demo_users
from recommendations.demo_updates import seed_demo_updates
from recommendations.models import (
    GoodPracticeMark,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
    Theme,
    Visibility,
)
from reporting import pdf, services
from reporting.labels import STATUS_SYMBOLS
from tests import factories
from tests.pdf import pdf_text, squeeze

ADVANCED = {"largely_implemented", "fully_implemented"}
SCALE = ["not_started", "planned", "in_progress", "largely_implemented"]
SCALE += ["fully_implemented"]

INTRODUCTION = """This report is the Secretariat's **first** to the Eighth Meeting.

# Scope of the report

It covers the cycle.[^1]

| Item | Value |
| --- | --- |
| Tabled cell | 42 |

[^1]: Footnoted remark on the cycle.
"""
BACKGROUND = "# Mandate\n\nThe Meeting asked the Secretariat to report on progress."
CONCLUSIONS = "States advanced most where *inter-institutional committees* met often."
MEETING = "# To the Meeting\n\n- Renew the mandate.\n- Hold a workshop on data."
CONFIDENTIAL = "Sealed witness-protection arrangement with the prosecutor's office"
PRACTICE = "A hotline answered in three languages referred callers within an hour."
SAMPLE = ["MEX", "BRA", "ARG", "CAN", "JAM"]
MARK = re.compile(r"^DRAFT$", re.MULTILINE)
LONG_WORDS = "Mexico's long account of its shelters network and its funding. " * 160


def _previous_cycle(current: ReportingCycle, reviewer: User, author: User) -> dict:
    """A closed cycle before the open one, with statuses to compare with; an update
    accepted after it closed, which the comparison must ignore."""
    start = current.period_start - timedelta(days=730)
    closed_at = timezone.now() - timedelta(days=30)
    previous = ReportingCycle.objects.create(
        instrument=current.instrument,
        name="Previous test cycle",
        slug="previous-test-cycle",
        meeting="Seventh Meeting",
        period_start=start,
        period_end=start + timedelta(days=700),
        deadline=closed_at - timedelta(days=60),
        is_open=False,
        closed_at=closed_at,
    )
    statuses = {}
    for index, state in enumerate(
        MemberState.objects.filter(participating=True).order_by("iso3")
    ):
        for number in (1, 7, 13):
            status = SCALE[(index + number) % len(SCALE)]
            statuses[(state.iso3, number)] = status
            _accepted(previous, state, number, status, author, reviewer, closed_at)
    # Accepted after the cycle closed: not part of the previous cycle's picture.
    mexico = MemberState.objects.get(iso3="MEX")
    _accepted(
        previous, mexico, 1, "not_started", author, reviewer, timezone.now()
    ).save()
    return {"cycle": previous, "statuses": statuses}


def _accepted(cycle, state, number, status, author, reviewer, closed_at):
    return ProgressUpdate.objects.create(
        cycle=cycle,
        member_state=state,
        recommendation=Recommendation.objects.get(
            instrument=cycle.instrument, number=number
        ),
        status=status,
        summary=f"Earlier status of {state.iso3} on {number}.",
        review_state=ReviewState.ACCEPTED,
        author=author,
        submitted_at=closed_at - timedelta(days=3),
        reviewed_at=closed_at - timedelta(days=2),
        reviewed_by=reviewer,
    )


@dataclass
class Edition:
    pdf: bytes
    html: str
    text: str
    pages: list[str]  # each page's text, as pdftotext reads it

    @property
    def flat(self) -> str:
        return " ".join(self.text.split())


def _compile(spec: pdf.ReportSpec) -> Edition:
    with translation.override(spec.language):
        html = pdf.render_html(pdf.build(pdf.gather(spec)))
        rendered = pdf.write(pdf.layout(html))
    text = pdf_text(rendered.pdf)
    pages = text.split("\f")[: rendered.page_count]
    assert len(pages) == rendered.page_count
    return Edition(rendered.pdf, html, text, pages)


HEADER = pdf.DocumentHeader(
    organ="Eighth Meeting of National Authorities on Trafficking in Persons",
    classification="OEA/Ser.K/XXXIX.8",
    symbol="RTP-VIII/doc.3/26",
    issued_on=date(2026, 3, 12),
    original_language="es",
)


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo_users()
        cycle = ReportingCycle.objects.get(is_open=True)
        seed_demo_updates(cycle)
        focal = User.objects.get(username="focal-mex")
        reviewer = User.objects.get(username="reviewer")
        secretariat = User.objects.get(username="secretariat")
        previous = _previous_cycle(cycle, reviewer, focal)
        factories.progress_update(
            "MEX",
            5,
            author=focal,
            reviewer=reviewer,
            narrative=CONFIDENTIAL,
            narrative_visibility="confidential",
            challenges="Sealed challenge of the prosecutor's office.",
        )
        long_update = factories.progress_update(
            "MEX",
            6,
            author=focal,
            reviewer=reviewer,
            narrative=LONG_WORDS,
            narrative_visibility="public",
        )
        GoodPracticeMark.objects.create(
            update=long_update,
            version=1,
            excerpt=PRACTICE,
            language="en",
            marked_by=reviewer,
            marked_at=timezone.now() - timedelta(seconds=1),
        )
        services.report_text_save(
            actor=secretariat,
            cycle=cycle,
            language="en",
            introduction=INTRODUCTION,
            conclusions=CONCLUSIONS,
            background=BACKGROUND,
            meeting_recommendations=MEETING,
        )
        as_of = timezone.now()
        spec = pdf.ReportSpec(
            cycle=cycle, member_state=None, language="en", as_of=as_of, header=HEADER
        )
        result = {
            "draft": _compile(spec),
            "final": _compile(
                pdf.ReportSpec(
                    cycle=cycle,
                    member_state=None,
                    language="en",
                    as_of=as_of,
                    header=HEADER,
                    final=True,
                )
            ),
            "state": _compile(
                pdf.ReportSpec(
                    cycle=cycle,
                    member_state=MemberState.objects.get(iso3="MEX"),
                    language="en",
                    as_of=as_of,
                )
            ),
            "figures": _figures(cycle, as_of),
            "challenges_5": _challenges(cycle, as_of, 5),
            "previous": previous,
            "movement": _movement(
                cycle, as_of, previous["cycle"], previous["cycle"].closed_at
            ),
            "movement_1": _movement(
                cycle, as_of, previous["cycle"], previous["cycle"].closed_at, [1]
            ),
        }
        transaction.set_rollback(True)
    return result


# --- The figures, recomputed from the database --------------------------------------


def _current(cycle, as_of) -> dict[tuple[str, int], ProgressUpdate]:
    """Each participating state's latest accepted update per recommendation."""
    latest: dict[tuple[str, int], ProgressUpdate] = {}
    updates = ProgressUpdate.objects.filter(
        cycle=cycle,
        review_state=ReviewState.ACCEPTED,
        reviewed_at__lte=as_of,
        member_state__participating=True,
    ).select_related("member_state", "recommendation")
    for update in updates.order_by("reviewed_at", "pk"):
        latest[(update.member_state.iso3, update.recommendation.number)] = update
    return latest


def _state_numbers(cycle) -> list[int]:
    return list(
        Recommendation.objects.filter(instrument=cycle.instrument)
        .exclude(addressee="secretariat")
        .order_by("number")
        .values_list("number", flat=True)
    )


def _figures(cycle, as_of) -> dict:
    current = _current(cycle, as_of)
    participating = MemberState.objects.filter(participating=True).count()
    numbers = _state_numbers(cycle)
    reporting = {iso3 for iso3, _number in current}
    cells = participating * len(numbers)
    na = sum(1 for u in current.values() if u.status == "not_applicable")
    advanced = sum(1 for u in current.values() if u.status in ADVANCED)
    return {
        "participating": participating,
        "reporting": len(reporting),
        "rate": round(100 * len(reporting) / participating),
        "average": f"{len(current) / len(reporting):.1f}",
        "statuses": len(current),
        "cells": cells,
        "na": na,
        "applicable": cells - na,
        "advanced": advanced,
        "share": f"{100 * advanced / (cells - na):.1f}%",
        "current": {key: u.status for key, u in current.items()},
    }


def _challenges(cycle, as_of, number: int) -> tuple[int, int]:
    """States citing challenges in a public narrative, and states that reported."""
    updates = [u for (_, n), u in _current(cycle, as_of).items() if n == number]
    public = [
        u
        for u in updates
        if u.challenges.strip() and u.narrative_visibility == Visibility.PUBLIC
    ]
    return len(public), len(updates)


def _movement(cycle, as_of, previous, moment, numbers=None) -> Counter:
    """How the statuses moved since the previous cycle as of ``moment``, over every
    participating state and the recommendations ``numbers`` (all, by default)."""
    before = _current(previous, moment)
    now = _current(cycle, as_of)
    moved = Counter()
    states = MemberState.objects.filter(participating=True)
    for state in states:
        for number in numbers or _state_numbers(cycle):
            a = before.get((state.iso3, number))
            b = now.get((state.iso3, number))
            a, b = (a.status if a else None), (b.status if b else None)
            if a is not None and a == b:
                moved["unchanged"] += 1
            elif a in SCALE and b in SCALE:
                moved["advanced" if SCALE.index(b) > SCALE.index(a) else "back"] += 1
            else:
                moved["other"] += 1
    return moved


pytestmark = pytest.mark.django_db


def test_the_executive_summary_gives_truthful_figures(report):
    _check_figures(report["figures"], report["draft"].flat)


def _check_figures(figures: dict, text: str) -> None:
    assert (
        f"Response rate: {figures['reporting']} of the {figures['participating']} "
        f"participating member states ({figures['rate']}%) reported" in text
    )
    assert (
        f"Each state that reported did so on {figures['average']} of the 21 "
        f"recommendations addressed to member states, on average "
        f"({figures['statuses']} statuses reported in all)" in text
    )
    assert (
        f"of the {figures['cells']} statuses of the {figures['participating']} "
        f"participating states on the 21 recommendations, {figures['na']} are "
        f"“Not applicable” and are left out; of the other {figures['applicable']}, "
        f"{figures['advanced']} ({figures['share']}) are largely or fully "
        "implemented" in text
    )
    # The old sentence read as if every state had reported on every recommendation.
    assert "reported progress on" not in text


def test_the_comparison_with_the_previous_cycle_is_as_it_closed(report):
    moved, text = report["movement"], report["draft"].flat
    assert moved["advanced"] and moved["back"] and moved["unchanged"]
    assert (
        f"Since the previous cycle (Previous test cycle), the status of a state on a "
        f"recommendation advanced in {moved['advanced']} cases, went back in "
        f"{moved['back']} and stayed the same in {moved['unchanged']}; "
        f"{moved['other']} cannot be compared" in text
    )
    # Recommendation 1's own line, against its states alone.
    html = report["draft"].html
    section = html.split('id="rec-1"', 1)[1].split('id="rec-2"', 1)[0]
    assert "This cycle" in section and "Previous cycle" in section
    assert _movement_line(report["movement_1"]) in section


def _movement_line(moved: Counter) -> str:
    return (
        f"Since the previous cycle: {moved['advanced']} states advanced, "
        f"{moved['back']} went back, {moved['unchanged']} unchanged, "
        f"{moved['other']} not comparable."
    )


def _check_overview(edition: Edition, current: dict, sample: list[str]) -> None:
    """The overview's cells for the ``sample`` states against the database, and the
    whole table on one page."""
    rows = dict(
        re.findall(
            r'<tr><th scope="row" class="state">([^<]+)</th>(.*?)</tr>',
            edition.html.split('id="overview"', 1)[1],
        )
    )
    states = list(MemberState.objects.filter(participating=True))
    assert len(rows) == len(states)
    for iso3 in sample:
        state = MemberState.objects.get(iso3=iso3)
        cells = re.findall(
            r'<td class="st-([a-z_]+)"[^>]*>([^<]+)</td>', rows[state.name]
        )
        assert len(cells) == 21
        for number, (key, symbol) in zip(range(1, 22), cells, strict=True):
            expected = current.get((iso3, number), "no_information")
            assert (key, symbol) == (expected, STATUS_SYMBOLS[expected]), (iso3, number)
    # One page: its heading, every state, and the next page is the first theme.
    page = next(
        i
        for i, text in enumerate(edition.pages)
        if "Hemispheric overview\n" in text and "Contents" not in text
    )
    names = sorted((s.name for s in states), key=pdf.sort_key)
    assert names[0] in edition.pages[page] and names[-1] in edition.pages[page]
    assert "Multidimensional approach" in edition.pages[page + 1]


def test_the_overview_table_gives_each_state_s_status_on_one_page(report):
    _check_overview(report["draft"], report["figures"]["current"], SAMPLE)


def _check_sections(text: str) -> None:
    contents_end = text.index("Executive summary", text.index("About this report"))
    body = text[contents_end:]
    order = [
        "Executive summary",
        "Introduction",
        "Background and mandate",
        "Methodology",
        "Hemispheric overview",
        "Multidimensional approach",
        "Recommendation 22 — Secretariat progress report",
        "Conclusions",
        "Recommendations to the Meeting",
        "Annex A. Profiles of the member states that reported",
        "Annex B. Member states that did not report",
        "Annex C. Member states not taking part",
        "Annex D. Acronyms",
        "About this report",
    ]
    position = 0
    for heading in order:  # each after the one before
        position = body.index(f"{heading}\n", position + 1)


def test_every_section_is_there_in_order(report):
    text = report["draft"].text
    _check_sections(text)
    cover = report["draft"].pages[0]
    for value in ("OEA/Ser.K/XXXIX.8", "RTP-VIII/doc.3/26", "March 12, 2026"):
        assert value in cover
    assert "Original: Spanish" in cover
    credits = report["draft"].pages[1]
    assert "Secretariat for Multidimensional Security" in credits
    assert "Department against Transnational Organized Crime" in credits
    acronyms = text.split("Annex D. Acronyms")[-1]
    for acronym in ("OAS", "RTP", "CSH", "DTOC", "SMS", "UNODC"):
        assert acronym in acronyms


def test_the_secretariat_texts_keep_their_structure(report):
    edition = report["draft"]
    text = edition.flat
    assert "This report is the Secretariat's first to the Eighth Meeting." in text
    assert "[^1]" not in text and "| Item |" not in text
    assert (
        "<table>"
        in edition.html.split('id="introduction"', 1)[1].split("</section>")[0]
    )
    assert "Footnoted remark on the cycle." in text
    # Headings in the contents (with their page) and in the bookmarks.
    contents = edition.text.split("Contents", 1)[1]
    for heading in ("Scope of the report", "Mandate", "To the Meeting"):
        assert re.search(rf"{heading}\s*(?:\.\s*)+\d+", contents), heading
    outline = _outline(PdfReader(io.BytesIO(edition.pdf)).outline)
    assert ("Introduction", 1) in outline
    assert ("Scope of the report", 2) in outline
    assert ("Recommendation 1 — Integrated strategies and action plans", 2) in outline
    # Bullets are bullets, not a rule.
    assert "• Renew the mandate." in edition.text


def _outline(items, level: int = 1) -> list[tuple[str, int]]:
    found = []
    for item in items:
        if isinstance(item, list):
            found += _outline(item, level + 1)
        else:
            found.append((item.title, level))
    return found


def test_the_draft_mark_is_on_every_page_and_absent_from_the_final(report):
    draft, final = report["draft"], report["final"]
    # The mark is a line of its own at the foot of the page ("DRAFT RECOMMENDATIONS"
    # is the instrument's title).
    assert all(MARK.search(page) for page in draft.pages)
    assert not any(MARK.search(page) for page in final.pages)
    assert all(MARK.search(page) for page in report["state"].pages)
    assert "<title>DRAFT: Hemispheric progress report" in draft.html
    assert "<title>Hemispheric progress report" in final.html


def test_written_texts_are_never_said_to_be_missing(report):
    for edition in (report["draft"], report["final"]):
        assert "has not written" not in edition.text


def test_narratives_are_in_annex_a_with_the_state_named_on_each_page(report):
    edition = report["draft"]
    annex = edition.text.index("Annex A. Profiles of the member states that reported\n")
    annex = edition.text.index("Annex A. Profiles", annex + 1)
    main, annexes = edition.text[:annex], edition.text[annex:]
    assert squeeze("Mexico's long account") not in squeeze(main)
    assert squeeze("Mexico's long account") in squeeze(annexes)
    assert "Recommendation 6: " in annexes
    pages = [p for p in edition.pages if "long account" in p]
    assert len(pages) >= 2
    for page in pages:
        assert "Annex A: Mexico" in page
    for compiled in (edition, report["final"], report["state"]):
        assert "witness-protection" not in compiled.text
        assert "witness-protection" not in compiled.html


def test_good_practices_are_quoted_under_their_recommendation(report):
    html = report["draft"].html
    section = html.split('id="rec-6"', 1)[1].split("</section>", 1)[0]
    assert PRACTICE in section
    assert 'href="#state-mex"' in section
    assert squeeze(PRACTICE) in squeeze(report["draft"].text)


def test_challenges_are_counted_only_where_the_narrative_is_public(report):
    citing, reported = report["challenges_5"]
    html = report["draft"].html
    section = html.split('id="rec-5"', 1)[1].split("</section>", 1)[0]
    assert (
        f"Challenges: {citing} of the {reported} states that reported describe "
        "challenges in their public narratives." in section
    )
    assert "Sealed challenge" not in html


def test_a_missing_text_is_said_in_a_draft_and_left_out_of_the_final(some_updates):
    """Without the Secretariat's texts, a draft says which are missing; the final
    edition has no empty chapter (publishing is refused without the introduction
    and the conclusions)."""
    cycle = ReportingCycle.objects.get(is_open=True)
    html = {}
    for final in (False, True):
        spec = pdf.ReportSpec(
            cycle=cycle,
            member_state=None,
            language="en",
            as_of=timezone.now(),
            final=final,
        )
        with translation.override("en"):
            html[final] = pdf.render_html(pdf.build(pdf.gather(spec)))
    assert "The Secretariat has not written an introduction" in html[False]
    assert "The Secretariat has not written conclusions" in html[False]
    assert 'id="background"' in html[False]
    assert "has not written" not in html[True]
    for anchor in ("introduction", "background", "conclusions"):
        assert f'id="{anchor}"' not in html[True]
        assert f'href="#{anchor}"' not in html[True]


def test_a_theme_of_one_recommendation_has_one_chart(report):
    html = report["draft"].html
    for theme in Theme.objects.filter(instrument__is_current=True):
        to_states = theme.recommendations.exclude(addressee="secretariat").count()
        has_chart = f'id="chart-theme-{theme.position}' in html
        assert has_chart == (to_states > 1), theme.title


def test_a_state_s_report_keeps_its_shape(report):
    text = report["state"].flat
    assert "Mexico: progress report" in text
    assert "Status on each recommendation" in text
    assert "Annex A" not in text and "Brazil" not in text


def test_the_same_data_and_moment_give_the_same_bytes(report):
    edition = report["draft"]
    html = edition.html
    again = pdf.write(pdf.layout(html)).pdf
    assert again == edition.pdf


# --- At full scale ------------------------------------------------------------------


def _main_volume_pages(edition: Edition) -> int:
    contents = edition.text.split("Contents", 1)[1]
    match = re.search(
        r"Annex A\. Profiles of the member states that reported\s*(?:\.\s*)+(\d+)",
        contents,
    )
    assert match
    first_annex_page = int(match[1])
    assert "Annex A. Profiles" in edition.pages[first_annex_page - 1]
    return first_annex_page - 1


def test_the_full_scale_report_holds_its_main_volume_in_80_pages(
    django_db_blocker,
):
    """The benchmarks' data set (35 states, 3 cycles, 10 updates per state and
    recommendation per cycle) compiled once: a few minutes."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command(
            "seed_full_scale", force=True, stdout=io.StringIO(), stderr=io.StringIO()
        )
        cycle = ReportingCycle.objects.get(is_open=True)
        as_of = timezone.now()
        edition = _compile(
            pdf.ReportSpec(cycle=cycle, member_state=None, language="en", as_of=as_of)
        )
        figures = _figures(cycle, as_of)
        # The previous cycle never closed: its latest accepted statuses.
        previous = ReportingCycle.objects.get(slug="bench-cycle-1")
        assert previous.closed_at is None
        moved = {
            number: _movement(cycle, as_of, previous, as_of, [number])
            for number in (1, 8, 21)
        }
        overall = _movement(cycle, as_of, previous, as_of)
        transaction.set_rollback(True)

    assert _main_volume_pages(edition) <= 80
    _check_sections(edition.text)
    _check_figures(figures, edition.flat)
    _check_overview(edition, figures["current"], SAMPLE)
    assert (
        f"advanced in {overall['advanced']} cases, went back in {overall['back']} "
        f"and stayed the same in {overall['unchanged']}; {overall['other']} cannot "
        "be compared" in edition.flat
    )
    for number, movement in moved.items():
        section = edition.html.split(f'id="rec-{number}"', 1)[1].split("</section>")[0]
        assert _movement_line(movement) in section, number
    assert all(MARK.search(page) for page in edition.pages)
