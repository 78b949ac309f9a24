"""The progress report as a WeasyPrint document: data, then charts, then HTML, then PDF.

Every number comes from ``reporting.selectors`` (the same as the public pages), every
chart from ``reporting.charts``. Narratives are untrusted: they pass through
``render_markdown`` (nh3) before they reach the HTML, only public ones are used, and
WeasyPrint runs without presentational hints and with a fetcher that serves only the
report's own static files, never anything over the network.

The hemispheric report is a document for the Meeting: its main volume (cover, credits,
contents, executive summary, introduction, background, methodology, the overview
table, a chapter per theme, conclusions, recommendations to the Meeting) gives
figures, comparisons and aggregates; the states' own words (summaries, public
narratives, measures) are in Annex A, a profile per state. A state's own report is its
profile with the recommendations' texts. Every page of a draft carries a DRAFT mark.

The report's own words go through Django's translation catalogues: call these
functions inside ``translation.override(language)``. The catalogue's texts (the
instrument, its themes, recommendations and footnotes, the cycle) are read in the
edition's language with their standing: a working translation is marked and the cover
says the edition uses them; an English stand-in is marked ``lang="en"`` and noted.
Narratives stay in the language the state wrote them, marked with it.
"""

import mimetypes
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info, gettext
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from core.markdown import RenderedDocument, render_document_markdown, render_markdown
from recommendations import selectors as recommendation_selectors
from recommendations.models import (
    ADVANCED_STATUSES,
    STATUS_DEFINITIONS,
    AssistanceNeed,
    Footnote,
    Measure,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    Status,
)
from recommendations.translations.texts import MISSING, Standing, Translation, translate
from reporting import charts
from reporting.labels import STATUS_SYMBOLS, category_labels
from reporting.models import ReportText
from reporting.selectors import (
    NO_INFORMATION,
    Movement,
    StatusMatrix,
    advanced_share,
    assistance_requested,
    hemispheric_summary,
    movement,
    previous_status_matrix,
    report_text,
    reported_by_state,
    response,
    status_matrix,
)

STATIC_ROOT_URL = "file:///report-static/"
# Charts drawn for print: in the body's font, no larger than its text.
PRINTED = {"medium": charts.PRINT}
STYLESHEET = "reporting/report.css"


# --- What to compile ----------------------------------------------------------------


@dataclass(frozen=True)
class DocumentHeader:
    """The OAS document block of the cover, entered by the Secretariat per run."""

    organ: str = ""
    classification: str = ""  # e.g. OEA/Ser.K/XXXIX.8
    symbol: str = ""  # e.g. RTP-VIII/doc.3/26
    issued_on: date | None = None  # the date printed under the symbol
    original_language: str = ""  # a language code: en, es, fr, pt


@dataclass(frozen=True)
class ReportSpec:
    cycle: ReportingCycle
    member_state: MemberState | None  # None: the hemispheric report
    language: str
    as_of: datetime
    final: bool = False  # the published edition: no DRAFT mark on its pages
    header: DocumentHeader = DocumentHeader()
    # The Secretariat's texts as they stood at this moment (a final edition: when
    # its publication was asked, since they are written after the draft); None:
    # ``as_of``, like the data.
    texts_as_of: datetime | None = None


@dataclass
class ReportData:
    """Everything read from the database, as of the spec's moment."""

    spec: ReportSpec
    matrix: StatusMatrix
    texts: ReportText | None
    # The hemispheric report's: the previous cycle's statuses, the good practices.
    previous: StatusMatrix | None = None
    good_practices: dict = field(default_factory=dict)


def gather(spec: ReportSpec) -> ReportData:
    """Read the published picture as of ``spec.as_of`` (a fixed number of queries)."""
    matrix = status_matrix(cycle=spec.cycle, as_of=spec.as_of)
    data = ReportData(spec=spec, matrix=matrix, texts=None)
    if spec.member_state is None:
        data.texts = report_text(
            cycle=spec.cycle,
            language=spec.language,
            as_of=spec.texts_as_of or spec.as_of,
        )
        data.previous = previous_status_matrix(cycle=spec.cycle, as_of=spec.as_of)
        data.good_practices = recommendation_selectors.good_practices(
            cycle=spec.cycle, as_of=spec.as_of
        )
    # The instrument's footnotes and the updates' lists, read now rather than later.
    for recommendation in matrix.recommendations:
        list(recommendation.footnotes.all())
    for update in matrix.updates():
        list(update.measures.all())
        list(update.assistance_needs.all())
    return data


# --- The catalogue's texts, as the edition prints them --------------------------------

# After a working translation; the cover's note (its anchor) says what it means.
WORKING_MARK = mark_safe(
    '<sup class="standing-mark"><a href="#working-translations">†</a></sup>'
)


@dataclass(frozen=True)
class Shown:
    """A catalogue text in an edition: ``{{ t }}`` its text, ``<p{{ t.lang }}>`` the
    element's language when it is not the edition's, ``{{ t.mark }}`` the dagger of a
    working translation, ``{{ t.inline }}`` all three within a sentence."""

    translation: Translation
    edition_language: str

    def __str__(self) -> str:
        return self.translation.text

    @property
    def text(self) -> str:
        return self.translation.text

    @property
    def is_fallback(self) -> bool:
        return self.translation.is_fallback

    @property
    def is_working(self) -> bool:
        return self.translation.is_working

    @property
    def official_reference(self) -> str:
        """The document an official translation was taken from, if it says."""
        if self.translation.standing == Standing.OFFICIAL:
            return self.translation.reference
        return ""

    @property
    def lang(self) -> SafeString:
        if self.translation.language == self.edition_language:
            return mark_safe("")
        return format_html(' lang="{}"', self.translation.language)

    @property
    def mark(self) -> SafeString:
        return WORKING_MARK if self.is_working else mark_safe("")

    @property
    def inline(self) -> SafeString:
        if self.lang:
            return format_html("<span{}>{}</span>{}", self.lang, self.text, self.mark)
        return format_html("{}{}", self.text, self.mark)


class Catalogue:
    """Reads catalogue texts in the edition's language and notes their standings,
    so that the cover can say whether the edition uses working translations."""

    def __init__(self, language: str):
        self.language = language
        self.standings: set[str] = set()

    def __call__(self, obj, field: str) -> Shown:
        translation = translate(obj, field, self.language)
        self.standings.add(translation.standing)
        return Shown(translation, self.language)

    def footnote(self, footnote: Footnote) -> Shown:
        """An "Idem" footnote shows the text it repeats."""
        return self(footnote.repeats if footnote.repeats_id else footnote, "text")

    @property
    def uses_working_translations(self) -> bool:
        return Standing.WORKING in self.standings

    @property
    def uses_english_stand_ins(self) -> bool:
        return MISSING in self.standings


# --- What the template shows --------------------------------------------------------


@dataclass
class Highlight:
    state: str
    status: str
    status_label: str
    summary: str
    narrative: SafeString | None
    # The state's words (summary, narrative, measures) are in the language it wrote
    # them in: set on their elements when it is not the edition's.
    narrative_language: str
    lang: str
    measures: list[SafeString]


@dataclass
class PracticeQuote:
    state: str
    anchor: str  # the state's profile in Annex A
    excerpt: str
    lang: str  # "" when in the edition's language


@dataclass
class RecommendationSection:
    anchor: str
    number: int
    heading: str
    text: Shown
    source: str
    footnotes: list[tuple[int, Shown]]
    addressee: str
    chart: SafeString
    sentence: str
    by_status: list[tuple[str, str, list[str]]]  # key, label, names
    highlights: list[Highlight]
    state_status: tuple[str, str] | None = None  # a state's own report: key, label
    needs: list[str] = field(default_factory=list)
    for_secretariat: bool = False
    # The hemispheric report's analysis of the recommendation.
    chart_caption: str = ""
    reported: int = 0  # participating states with a status on it
    movement: Movement | None = None
    practices: list[PracticeQuote] = field(default_factory=list)
    challenges: int = 0  # states whose public narrative names challenges
    assistance: list[tuple[str, int]] = field(default_factory=list)  # kind, states
    assistance_states: int = 0


@dataclass
class ThemeSection:
    anchor: str
    title: Shown
    chart: SafeString | None
    recommendations: list[RecommendationSection]


@dataclass
class ProfileEntry:
    number: int
    status_label: str
    summary: str
    narrative: SafeString | None
    lang: str
    measures: list[SafeString]
    needs: list[str]


@dataclass
class Profile:
    anchor: str
    name: str
    chart: SafeString
    sentence: str
    by_status: list[tuple[str, str, list[int]]]  # key, label, recommendation numbers
    measures: list[SafeString]
    needs: list[str]
    entries: list[ProfileEntry] = field(default_factory=list)  # Annex A only


@dataclass
class Chapter:
    """A chapter of the Secretariat's own text, rendered from its Markdown."""

    anchor: str
    title: str
    document: RenderedDocument | None  # None: not written yet
    missing: str  # what a draft says in its place


def sort_key(name: str) -> str:
    """Names in alphabetical order for any of the languages, accents aside."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def by_name(states: Iterable[MemberState]) -> list[MemberState]:
    return sorted(states, key=lambda state: (sort_key(state.name), state.iso3))


def moment(value: datetime) -> str:
    """A moment in the Secretariat's time zone, written for the report's language."""
    zone = ZoneInfo(settings.PORTAL_TIME_ZONE)
    local = timezone.localtime(value, zone)
    return f"{date_format(local, 'DATETIME_FORMAT')} ({settings.PORTAL_TIME_ZONE})"


def day(value) -> str:
    return date_format(value, "DATE_FORMAT")


def percent(share: float) -> str:
    return gettext("%(percent)s%%") % {"percent": round(share * 100)}


def percent_1(share: float) -> str:
    """A share to one decimal, with the language's decimal mark: 38.6%, 38,6 %."""
    return gettext("%(percent)s%%") % {
        "percent": number_format(round(share * 100, 1), decimal_pos=1)
    }


def decimal_1(value: float) -> str:
    return number_format(round(value, 1), decimal_pos=1)


def css_string(text: str) -> str:
    """A CSS string literal for ``content``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lang(update: ProgressUpdate) -> str:
    """The language of the state's words, when it is not the edition's; else ""."""
    language = update.narrative_language
    return "" if language == (get_language() or "en")[:2] else language


def _measure(measure: Measure, lang: str = "") -> SafeString:
    title = measure.title
    if lang:
        title = format_html('<span lang="{}">{}</span>', lang, title)
    text = format_html("{}: {}", measure.get_kind_display(), title)
    if measure.date:
        text += format_html(" ({})", day(measure.date))
    return text


def _need(need: AssistanceNeed) -> str:
    kind = need.get_kind_display()
    return f"{kind}: {need.description}" if need.description else kind


def _public_narrative(update: ProgressUpdate) -> SafeString | None:
    # Confidential narratives never reach the report, whoever compiles it.
    if update.narrative_is_public and update.narrative.strip():
        return render_markdown(update.narrative)
    return None


def _highlight(state_name: str, update: ProgressUpdate, labels) -> Highlight:
    lang = _lang(update)
    return Highlight(
        state=state_name,
        status=update.status,
        status_label=labels[update.status],
        summary=update.summary,
        narrative=_public_narrative(update),
        narrative_language=update.narrative_language,
        lang=lang,
        measures=[_measure(m, lang) for m in update.measures.all()],
    )


def _source(recommendation: Recommendation) -> str:
    if recommendation.source_paragraph is None:
        return gettext("New in this instrument: not taken from the Third Work Plan")
    if recommendation.based_on:
        message = gettext(
            "Based on paragraph %(paragraph)s of the Guidelines of the Third Work "
            "Plan on Trafficking in Persons"
        )
    else:
        message = gettext(
            "Paragraph %(paragraph)s of the Guidelines of the Third Work Plan on "
            "Trafficking in Persons"
        )
    return message % {"paragraph": recommendation.source_paragraph}


def _recommendation_heading(
    recommendation: Recommendation, catalogue: Catalogue
) -> str:
    """As in "Recommendation 4 — National action plans", in the edition's language."""
    title = catalogue(recommendation, "short_title").text
    if not title:
        return gettext("Recommendation %(number)s") % {"number": recommendation.number}
    return gettext("Recommendation %(number)s — %(title)s") % {
        "number": recommendation.number,
        "title": title,
    }


def _recommendation_label(recommendation: Recommendation, catalogue: Catalogue) -> str:
    """As in "4. National action plans": a chart's row, where a heading would wrap."""
    title = catalogue(recommendation, "short_title").text
    return f"{recommendation.number}. {title}" if title else str(recommendation.number)


def _state_anchor(state: MemberState) -> str:
    return f"state-{state.iso3.lower()}"


def _analysis(
    section: RecommendationSection,
    data: ReportData,
    recommendation: Recommendation,
    states: list[MemberState],
    labels: dict[str, str],
    catalogue: Catalogue,
) -> None:
    """The hemispheric report's reading of a recommendation: the chart beside the
    previous cycle's, the movement since, good practices, challenges and needs."""
    matrix, previous = data.matrix, data.previous
    heading = section.heading
    counts = matrix.counts_for_recommendation(recommendation)
    if previous is not None:
        section.chart = charts.status_bars(
            rows=[
                charts.ChartRow(label=gettext("This cycle"), counts=counts),
                charts.ChartRow(
                    label=gettext("Previous cycle"),
                    counts=Counter(
                        previous.status(state, recommendation)
                        for state in matrix.participating
                    ),
                ),
            ],
            title=heading,
            description=gettext(
                "Participating member states by status on %(recommendation)s, in "
                "this cycle and in the previous one."
            )
            % {"recommendation": heading},
            category_labels=labels,
            **PRINTED,
            id_prefix=f"chart-rec-{recommendation.number}",
        )
        section.chart_caption = gettext(
            "%(recommendation)s: participating member states by status, in this "
            "cycle (%(current)s) and in the previous one (%(previous)s)."
        ) % {
            "recommendation": heading,
            "current": catalogue(data.spec.cycle, "name").text,
            "previous": catalogue(previous.cycle, "name").text,
        }
        section.movement = movement(matrix, previous, [recommendation])
    else:
        section.chart = charts.status_bar(
            counts=counts,
            title=heading,
            description=gettext("Member states by status on %(recommendation)s.")
            % {"recommendation": heading},
            category_labels=labels,
            **PRINTED,
            id_prefix=f"chart-rec-{recommendation.number}",
            legend=True,
        )
        section.chart_caption = gettext(
            "%(recommendation)s: participating member states by status."
        ) % {"recommendation": heading}
    names: dict[str, list[str]] = {key: [] for key in charts.CATEGORIES}
    needs: Counter = Counter()
    for state in states:
        update = matrix.update(state, recommendation)
        names[update.status if update else NO_INFORMATION].append(state.name)
        if update is None:
            continue
        section.reported += 1
        if update.public_challenges.strip():
            section.challenges += 1
        kinds = {need.kind for need in update.assistance_needs.all()}
        if kinds:
            section.assistance_states += 1
        needs.update(kinds)
    section.by_status = [
        (key, labels[key], names[key]) for key in charts.CATEGORIES if names[key]
    ]
    kind_labels = dict(AssistanceNeed.Kind.choices)
    section.assistance = [
        (str(kind_labels.get(kind, kind)), count)
        for kind, count in sorted(needs.items(), key=lambda item: (-item[1], item[0]))
    ]
    edition = (get_language() or "en")[:2]
    section.practices = [
        PracticeQuote(
            state=practice.member_state.name,
            anchor=_state_anchor(practice.member_state),
            excerpt=practice.excerpt,
            lang="" if practice.language == edition else practice.language,
        )
        for practice in data.good_practices.get(recommendation.number, [])
        if practice.member_state.participating
    ]


def _recommendation_section(
    data: ReportData,
    recommendation: Recommendation,
    states: list[MemberState],
    labels: dict[str, str],
    catalogue: Catalogue,
) -> RecommendationSection:
    matrix, member_state = data.matrix, data.spec.member_state
    heading = _recommendation_heading(recommendation, catalogue)
    section = RecommendationSection(
        anchor=f"rec-{recommendation.number}",
        number=recommendation.number,
        heading=heading,
        text=catalogue(recommendation, "text"),
        source=_source(recommendation),
        # The title's footnote is printed once, under the title in "About this report".
        footnotes=[
            (f.number, catalogue.footnote(f))
            for f in recommendation.footnotes.all()
            if not f.on_title
        ],
        addressee=recommendation.get_addressee_display(),
        chart=mark_safe(""),
        sentence="",
        by_status=[],
        highlights=[],
        for_secretariat=recommendation.is_for_secretariat,
    )
    if recommendation.is_for_secretariat:
        # Its own status, in words: a chart of one update says nothing more.
        update = matrix.secretariat.get(recommendation.pk)
        if update is not None and member_state is None:
            section.highlights.append(
                _highlight(gettext("The Secretariat"), update, labels)
            )
        return section
    if member_state is not None:
        update = matrix.update(member_state, recommendation)
        key = update.status if update else NO_INFORMATION
        section.state_status = (key, labels[key])
        if update is not None:
            section.highlights.append(_highlight(member_state.name, update, labels))
            section.needs = [_need(n) for n in update.assistance_needs.all()]
        return section
    section.sentence = charts.status_summary(
        matrix.counts_for_recommendation(recommendation), labels
    )
    _analysis(section, data, recommendation, states, labels, catalogue)
    return section


def _profile(
    matrix: StatusMatrix,
    state: MemberState,
    labels: dict[str, str],
    *,
    entries: bool = False,
) -> Profile:
    """A state's statuses, measures and needs; with ``entries``, Annex A's profile:
    each update with its summary and public narrative, in the state's words."""
    counts = matrix.counts_for_state(state)
    numbers: dict[str, list[int]] = {key: [] for key in charts.CATEGORIES}
    measures, needs, listed = [], [], []
    for recommendation, update in matrix.row(state):
        numbers[update.status if update else NO_INFORMATION].append(
            recommendation.number
        )
        if update is None:
            continue
        lang = _lang(update)
        if entries:
            listed.append(
                ProfileEntry(
                    number=recommendation.number,
                    status_label=labels[update.status],
                    summary=update.summary,
                    narrative=_public_narrative(update),
                    lang=lang,
                    measures=[_measure(m, lang) for m in update.measures.all()],
                    needs=[_need(n) for n in update.assistance_needs.all()],
                )
            )
            continue
        prefix = f"{recommendation.number}. "
        measures += [
            format_html("{}{}", prefix, _measure(m, lang))
            for m in update.measures.all()
        ]
        needs += [prefix + _need(n) for n in update.assistance_needs.all()]
    return Profile(
        anchor=_state_anchor(state),
        name=state.name,
        chart=charts.status_bar(
            counts=counts,
            title=state.name,
            description=gettext("Status of %(state)s on the recommendations.")
            % {"state": state.name},
            category_labels=labels,
            **PRINTED,
            id_prefix=f"chart-state-{state.iso3.lower()}",
            legend=entries,
        ),
        sentence=charts.status_summary(counts, labels),
        by_status=[
            (key, labels[key], numbers[key])
            for key in charts.CATEGORIES
            if numbers[key]
        ],
        measures=measures,
        needs=needs,
        entries=listed,
    )


def _themes(
    data: ReportData,
    states: list[MemberState],
    labels: dict[str, str],
    catalogue: Catalogue,
) -> list[ThemeSection]:
    matrix, member_state = data.matrix, data.spec.member_state
    by_theme: dict[int, list[Recommendation]] = {}
    for recommendation in matrix.recommendations:
        by_theme.setdefault(recommendation.theme_id, []).append(recommendation)
    sections = []
    themes = {r.theme_id: r.theme for r in matrix.recommendations}
    for theme_id, recommendations in sorted(
        by_theme.items(), key=lambda item: themes[item[0]].position
    ):
        theme = themes[theme_id]
        title = catalogue(theme, "title")
        state_items = [r for r in recommendations if not r.is_for_secretariat]
        chart = None
        # A theme of one recommendation has its chart under the recommendation only.
        if member_state is None and len(state_items) > 1:
            chart = charts.status_bars(
                rows=[
                    charts.ChartRow(
                        label=_recommendation_label(r, catalogue),
                        counts=matrix.counts_for_recommendation(r),
                    )
                    for r in state_items
                ],
                title=title.text,
                description=gettext(
                    "Member states by status on each recommendation of the theme."
                ),
                category_labels=labels,
                **PRINTED,
                id_prefix=f"chart-theme-{theme.position}",
            )
        sections.append(
            ThemeSection(
                anchor=f"theme-{theme.slug}",
                title=title,
                chart=chart,
                recommendations=[
                    _recommendation_section(data, r, states, labels, catalogue)
                    for r in recommendations
                ],
            )
        )
    return sections


def _executive_summary(
    data: ReportData, labels: dict[str, str], catalogue: Catalogue
) -> dict:
    matrix, previous = data.matrix, data.previous
    summary = hemispheric_summary(matrix)
    answered = response(matrix)
    overall = advanced_share(summary.counts)
    shares = {
        row.theme.pk: advanced_share(row.counts)
        for row in summary.themes
        if any(not r.is_for_secretariat for r in row.recommendations)
    }
    ranked = sorted(
        (row for row in summary.themes if row.theme.pk in shares),
        key=lambda row: (-shares[row.theme.pk].share, row.theme.position),
    )
    theme_rows = [
        {
            "title": catalogue(row.theme, "title"),
            "share": percent(shares[row.theme.pk].share),
            "advanced": shares[row.theme.pk].advanced,
            "applicable": shares[row.theme.pk].applicable,
            "sentence": charts.status_summary(row.counts, labels),
        }
        for row in ranked
    ]
    assistance_labels = dict(AssistanceNeed.Kind.choices)
    total = len(matrix.state_recommendations)
    comparison = None
    if previous is not None:
        comparison = {
            "cycle": catalogue(previous.cycle, "name"),
            "movement": movement(matrix, previous, matrix.state_recommendations),
            "reporting": len(previous.reporting_states),
        }
    return {
        "participating": answered.participating,
        "reporting": answered.reporting,
        "response_rate": percent(answered.rate),
        "average": decimal_1(answered.average_per_reporting_state),
        "statuses_reported": answered.statuses_reported,
        "recommendations_reported": summary.recommendations_reported,
        "state_recommendations": total,
        "cells": answered.participating * total,
        "counts_sentence": charts.status_summary(summary.counts, labels),
        "advanced": overall.advanced,
        "applicable": overall.applicable,
        "not_applicable": overall.not_applicable,
        "advanced_share": percent_1(overall.share),
        "comparison": comparison,
        "chart": charts.status_bar(
            counts=summary.counts,
            title=gettext("All recommendations addressed to member states"),
            description=gettext(
                "Participating member states by status, over all the "
                "recommendations addressed to them."
            ),
            category_labels=labels,
            **PRINTED,
            id_prefix="chart-hemisphere",
            legend=True,
        ),
        "themes_chart": charts.status_bars(
            rows=[
                charts.ChartRow(
                    label=catalogue(row.theme, "title").text, counts=row.counts
                )
                for row in sorted(ranked, key=lambda row: row.theme.position)
            ],
            title=gettext("Status by theme"),
            description=gettext(
                "Participating member states by status, over the recommendations "
                "of each theme."
            ),
            category_labels=labels,
            **PRINTED,
            id_prefix="chart-themes",
        ),
        "themes": theme_rows,
        "most": theme_rows[:2],
        "least": theme_rows[-2:][::-1] if len(theme_rows) > 2 else [],
        "assistance": [
            (str(assistance_labels.get(kind, kind)), count)
            for kind, count in assistance_requested(matrix)
        ],
    }


def _overview(matrix: StatusMatrix, states: list[MemberState], labels) -> dict:
    """The one-page table: participating states by the recommendations addressed to
    member states, each cell a status's symbol on its colour."""
    recommendations = matrix.state_recommendations
    return {
        "numbers": [r.number for r in recommendations],
        "rows": [
            {
                "name": state.name,
                "anchor": _state_anchor(state),
                "reported": reported_by_state(matrix, state),
                "cells": [
                    (key, STATUS_SYMBOLS[key], labels[key])
                    for key in (matrix.status(state, r) for r in recommendations)
                ],
            }
            for state in states
        ],
        "legend": [
            (key, symbol, labels[key]) for key, symbol in STATUS_SYMBOLS.items()
        ],
    }


def _response_table(matrix: StatusMatrix, states: list[MemberState]) -> list:
    """Each participating state's recommendations reported, two states a row."""
    entries = [(state.name, reported_by_state(matrix, state)) for state in states]
    half = (len(entries) + 1) // 2
    left, right = entries[:half], entries[half:]
    return [(left[i], right[i] if i < len(right) else None) for i in range(len(left))]


def _chapter(
    text: str, *, anchor: str, title: str, missing: str, final: bool
) -> Chapter | None:
    """A Secretariat text as a chapter; a draft says where one is still missing, a
    final edition leaves an unwritten optional chapter out."""
    if text and text.strip():
        return Chapter(
            anchor, title, render_document_markdown(text, id_prefix=anchor), missing
        )
    return None if final else Chapter(anchor, title, None, missing)


def _secretariat_chapters(data: ReportData) -> dict[str, Chapter | None]:
    texts, final = data.texts, data.spec.final
    chapters = {
        "introduction": (
            gettext("Introduction"),
            gettext("The Secretariat has not written an introduction for this report."),
        ),
        "background": (
            gettext("Background and mandate"),
            gettext(
                "The Secretariat has not written the background and mandate for this "
                "report."
            ),
        ),
        "conclusions": (
            gettext("Conclusions"),
            gettext("The Secretariat has not written conclusions for this report."),
        ),
        "meeting_recommendations": (
            gettext("Recommendations to the Meeting"),
            gettext(
                "The Secretariat has not written its recommendations to the Meeting "
                "for this report."
            ),
        ),
    }
    return {
        key: _chapter(
            getattr(texts, key, "") if texts else "",
            anchor=key.replace("_", "-"),
            title=title,
            missing=missing,
            final=final,
        )
        for key, (title, missing) in chapters.items()
    }


def _acronyms() -> list[tuple[str, str]]:
    """The acronyms the report uses, in the edition's language, by acronym."""
    pairs = [
        (gettext("CSH"), gettext("Committee on Hemispheric Security")),
        (gettext("DTOC"), gettext("Department against Transnational Organized Crime")),
        (
            gettext("GS/OAS"),
            gettext("General Secretariat of the Organization of American States"),
        ),
        (gettext("OAS"), gettext("Organization of American States")),
        (
            gettext("RTP"),
            gettext("Meeting of National Authorities on Trafficking in Persons"),
        ),
        (gettext("SMS"), gettext("Secretariat for Multidimensional Security")),
        (gettext("UNODC"), gettext("United Nations Office on Drugs and Crime")),
    ]
    return sorted(pairs, key=lambda pair: sort_key(pair[0]))


def _header(spec: ReportSpec, catalogue: Catalogue) -> dict:
    header = spec.header
    original = ""
    if header.original_language:
        original = str(get_language_info(header.original_language)["name_translated"])
    return {
        "organ": header.organ or catalogue(spec.cycle, "meeting").text,
        "classification": header.classification,
        "symbol": header.symbol,
        "issued_on": day(header.issued_on) if header.issued_on else "",
        "original_language": original,
    }


def _state_summary(
    matrix: StatusMatrix, state: MemberState, labels: dict[str, str]
) -> dict:
    counts = matrix.counts_for_state(state)
    return {
        "reported": reported_by_state(matrix, state),
        "state_recommendations": len(matrix.state_recommendations),
        "advanced_share": percent(matrix.advanced_share_of_state(state)),
        "counts_sentence": charts.status_summary(counts, labels),
    }


def _identity(data: ReportData) -> dict:
    matrix, member_state = data.matrix, data.spec.member_state
    if member_state is None:
        updates = [
            u
            for u in matrix.cells.values()
            if u.member_state.participating  # type: ignore[union-attr]  # states' cells
        ] + list(matrix.secretariat.values())
        states = len(matrix.reporting_states)
    else:
        updates = [
            u for u in matrix.cells.values() if u.member_state_id == member_state.pk
        ]
        states = 1 if updates else 0
    latest = max((u.reviewed_at for u in updates if u.reviewed_at), default=None)
    return {
        "updates": len(updates),
        "states": states,
        "latest": moment(latest) if latest else None,
    }


def page_of_content() -> str:
    """The CSS ``content`` of the "page X of Y" footer, translated as one sentence."""
    message = gettext("Page %(page)s of %(pages)s")
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", message)
    css = []
    for part in parts:
        if part == "%(page)s":
            css.append("counter(page)")
        elif part == "%(pages)s":
            css.append("counter(pages)")
        elif part:
            css.append(css_string(part))
    return " ".join(css) or '""'


def build(data: ReportData, *, generated_at: datetime | None = None) -> dict:
    """The template's context: charts drawn, narratives sanitised, names sorted."""
    spec, matrix = data.spec, data.matrix
    labels = category_labels()
    states = by_name(matrix.participating)
    instrument = spec.cycle.instrument
    language = get_language_info(spec.language)
    catalogue = Catalogue(spec.language)
    draft = not spec.final
    context = {
        "spec": spec,
        "title": report_title(spec),
        "draft": draft,
        "draft_word": gettext("DRAFT"),
        "draft_mark": css_string(gettext("DRAFT")) if draft else "",
        "cycle": spec.cycle,
        "cycle_name": catalogue(spec.cycle, "name"),
        "cycle_meeting": catalogue(spec.cycle, "meeting"),
        "instrument": instrument,
        "instrument_title": catalogue(instrument, "short_title"),
        "instrument_full_title": catalogue(instrument, "title"),
        "title_footnotes": [
            catalogue.footnote(f) for f in instrument.footnotes.all() if f.on_title
        ],
        "member_state": spec.member_state,
        "language_name": language["name_translated"],
        "as_of": moment(spec.as_of),
        "generated_at": generated_at.isoformat() if generated_at else "",
        "page_of": page_of_content(),
        "stylesheet": STATIC_ROOT_URL + STYLESHEET,
        "labels": labels,
        "status_definitions": [
            (str(Status(key).label), str(text))
            for key, text in STATUS_DEFINITIONS.items()
        ],
        "advanced_labels": [labels[s] for s in ADVANCED_STATUSES],
        "themes": _themes(data, states, labels, catalogue),
        "identity": _identity(data),
        "participating_count": len(matrix.participating),
    }
    if spec.member_state is None:
        reporting = [s for s in states if matrix.reported(s)]
        not_participating = by_name(s for s in matrix.states if not s.participating)
        chapters = _secretariat_chapters(data)
        context.update(
            {
                "header": _header(spec, catalogue),
                "year": timezone.localtime(
                    spec.as_of, ZoneInfo(settings.PORTAL_TIME_ZONE)
                ).year,
                "summary": _executive_summary(data, labels, catalogue),
                "chapters": chapters,
                "introduction": chapters["introduction"],
                "background": chapters["background"],
                "conclusions": chapters["conclusions"],
                "meeting_recommendations": chapters["meeting_recommendations"],
                "overview": _overview(matrix, states, labels),
                "response_table": _response_table(matrix, states),
                "previous_cycle": catalogue(data.previous.cycle, "name")
                if data.previous
                else None,
                "period": {
                    "start": day(spec.cycle.period_start),
                    "end": day(spec.cycle.period_end),
                    "deadline": moment(spec.cycle.deadline),
                },
                "status_scale": [
                    (key, STATUS_SYMBOLS[key], labels[key], str(text))
                    for key, text in STATUS_DEFINITIONS.items()
                ],
                "no_information_symbol": STATUS_SYMBOLS[NO_INFORMATION],
                "profiles": [
                    _profile(matrix, s, labels, entries=True) for s in reporting
                ],
                "silent": [s.name for s in states if not matrix.reported(s)],
                "not_participating": [
                    (
                        s.name,
                        catalogue(s, "participation_note")
                        if s.participation_note
                        else None,
                    )
                    for s in not_participating
                ],
                "acronyms": _acronyms(),
            }
        )
    else:
        context.update(
            {
                "state_summary": _state_summary(matrix, spec.member_state, labels),
                "profile": _profile(matrix, spec.member_state, labels),
            }
        )
    # Last, once every catalogue text the edition prints has been read.
    context["uses_working_translations"] = catalogue.uses_working_translations
    context["uses_english_stand_ins"] = catalogue.uses_english_stand_ins
    return context


def render_html(context: dict) -> str:
    return render_to_string("reporting/pdf/report.html", context)


# --- From HTML to PDF ---------------------------------------------------------------


class StaticFilesFetcher(URLFetcher):
    """Serves the report's own static files from disk; refuses every other address.

    Nothing in the report is fetched over the network: an address outside
    ``STATIC_ROOT_URL`` (HTTP, another file, data from a narrative) stops the render.
    """

    def __init__(self) -> None:
        super().__init__(fail_on_errors=True)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if not url.startswith(STATIC_ROOT_URL):
            raise ValueError(f"The report fetches only its own static files: {url}")
        relative = unquote(url[len(STATIC_ROOT_URL) :].split("?")[0])
        if not relative or any(part in ("", ".", "..") for part in relative.split("/")):
            raise ValueError(f"Not a static file: {url}")
        path = finders.find(relative)
        if not path:
            raise ValueError(f"No static file {relative}")
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, Path(path).read_bytes(), {"Content-Type": content_type}
        )


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    page_count: int


# Tagged PDF/UA-1: a structure tree for screen readers, /Lang from <html lang>, the
# <title> shown as the window's title, each chart a figure with its <title> as /Alt.
PDF_VARIANT = "pdf/ua-1"


def layout(html: str):
    """WeasyPrint's layout of the document: its pages, before they are written."""
    return HTML(
        string=html, base_url=STATIC_ROOT_URL, url_fetcher=StaticFilesFetcher()
    ).render(pdf_variant=PDF_VARIANT)


def write(document) -> RenderedPdf:
    return RenderedPdf(
        pdf=document.write_pdf(pdf_variant=PDF_VARIANT),
        page_count=len(document.pages),
    )


def report_title(spec: ReportSpec) -> str:
    if spec.member_state is None:
        return gettext("Hemispheric progress report")
    return gettext("%(state)s: progress report") % {"state": spec.member_state.name}
