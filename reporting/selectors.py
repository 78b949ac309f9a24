"""The published picture of a cycle, shared by the public pages, the open data, the API
and the PDF report, so that all four show the same numbers.

Only accepted updates count, and each state's status on a recommendation is its latest
accepted update in the cycle (as of a moment, for reproducible reports). Counts cover
participating states.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import F, Func, Prefetch, Q, QuerySet, Value
from django.db.models.base import ModelState
from django.http import Http404
from django.utils.translation import gettext as _

from recommendations.models import (
    ADVANCED_STATUSES,
    AssistanceNeed,
    Instrument,
    Measure,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    Status,
    Theme,
)
from recommendations.translations.texts import Translation, translate
from reporting.models import REPORT_LANGUAGES, ReportRun, ReportText
from reporting.textsearch import fold

NO_INFORMATION = "no_information"
CATEGORIES = [*Status.values, NO_INFORMATION]


@dataclass
class ThemeRow:
    theme: Theme
    recommendations: list[Recommendation]
    counts: Counter[str]
    advanced_share: float  # of participating states x recommendations, largely or fully


@dataclass
class StatusMatrix:
    cycle: ReportingCycle
    as_of: datetime | None
    states: list[MemberState]  # all member states, by name
    recommendations: list[Recommendation]  # all of the instrument, by number
    cells: dict[tuple[int, int], ProgressUpdate]  # (state, recommendation) -> update
    secretariat: dict[int, ProgressUpdate] = field(default_factory=dict)
    details: bool = True  # measures and assistance needs prefetched

    # A matrix is read, never changed, once built: what is derived from it is kept.
    @cached_property
    def participating(self) -> list[MemberState]:
        return [state for state in self.states if state.participating]

    @cached_property
    def state_recommendations(self) -> list[Recommendation]:
        return [r for r in self.recommendations if not r.is_for_secretariat]

    @cached_property
    def secretariat_recommendations(self) -> list[Recommendation]:
        return [r for r in self.recommendations if r.is_for_secretariat]

    @cached_property
    def _statuses(self) -> dict[tuple[int, int], str]:
        return {key: update.status for key, update in self.cells.items()}

    @cached_property
    def _recommendation_counts(self) -> dict[int, Counter[str]]:
        return {}

    def update(
        self, state: MemberState, recommendation: Recommendation
    ) -> ProgressUpdate | None:
        return self.cells.get((state.pk, recommendation.pk))

    def status(self, state: MemberState, recommendation: Recommendation) -> str:
        return self._statuses.get((state.pk, recommendation.pk), NO_INFORMATION)

    def row(
        self, state: MemberState
    ) -> list[tuple[Recommendation, ProgressUpdate | None]]:
        return [(r, self.update(state, r)) for r in self.state_recommendations]

    def counts_for_recommendation(self, recommendation: Recommendation) -> Counter[str]:
        if recommendation.is_for_secretariat:
            update = self.secretariat.get(recommendation.pk)
            return Counter([update.status if update else NO_INFORMATION])
        counts = self._recommendation_counts.get(recommendation.pk)
        if counts is None:
            counts = Counter(
                self.status(state, recommendation) for state in self.participating
            )
            self._recommendation_counts[recommendation.pk] = counts
        return counts.copy()  # the caller's to add to

    def counts_for_state(self, state: MemberState) -> Counter[str]:
        return Counter(self.status(state, r) for r in self.state_recommendations)

    def counts_for(self, recommendations: list[Recommendation]) -> Counter[str]:
        total: Counter[str] = Counter()
        for recommendation in recommendations:
            total += self.counts_for_recommendation(recommendation)
        return total

    def advanced_share_of_state(self, state: MemberState) -> float:
        counts = self.counts_for_state(state)
        total = len(self.state_recommendations)
        return sum(counts[s] for s in ADVANCED_STATUSES) / total if total else 0.0

    def reported(self, state: MemberState) -> bool:
        return any(self.update(state, r) for r in self.state_recommendations)

    @property
    def reporting_states(self) -> list[MemberState]:
        return [state for state in self.participating if self.reported(state)]

    @property
    def silent_states(self) -> list[MemberState]:
        return [state for state in self.participating if not self.reported(state)]

    def themes(self) -> list[ThemeRow]:
        by_theme: dict[int, ThemeRow] = {}
        for recommendation in self.recommendations:
            row = by_theme.setdefault(
                recommendation.theme_id,
                ThemeRow(recommendation.theme, [], Counter(), 0.0),
            )
            row.recommendations.append(recommendation)
        for row in by_theme.values():
            # The Secretariat's own items are shown on their own, not mixed in.
            state_items = [r for r in row.recommendations if not r.is_for_secretariat]
            row.counts = self.counts_for(state_items)
            cells = len(state_items) * len(self.participating)
            advanced = sum(row.counts[status] for status in ADVANCED_STATUSES)
            row.advanced_share = advanced / cells if cells else 0.0
        return sorted(by_theme.values(), key=lambda row: row.theme.position)

    def updates(self) -> list[ProgressUpdate]:
        return [*self.cells.values(), *self.secretariat.values()]


# What the pages of statuses show of an update: its keys, status and summary. Not its
# dates: no page of statuses shows them, and turning two timestamps a row into
# datetimes was a tenth of the matrix.
LEAN_FIELDS = (
    "id",
    "cycle_id",
    "member_state_id",
    "recommendation_id",
    "status",
    "summary",
    "narrative_language",
    "review_state",
)


# What a status history shows of an update.
HISTORY_FIELDS = ("id", "cycle_id", "member_state_id", "recommendation_id", "status")


def _lean_updates(
    updates: QuerySet[ProgressUpdate], fields: tuple[str, ...] = LEAN_FIELDS
) -> list[ProgressUpdate]:
    """``updates`` with ``fields`` only, as ``only()`` would give them (another
    field is read from the database when asked for), but made the way Django
    unpickles a model: its attributes set at once. Model.__init__ a row cost most
    of a status page at full scale (bench/README.md)."""
    made = []
    db = updates.db
    for values in updates.values_list(*fields):
        update = ProgressUpdate.__new__(ProgressUpdate)
        update.__dict__.update(zip(fields, values, strict=True))
        update._state = ModelState()
        update._state.adding = False
        update._state.db = db
        made.append(update)
    return made


def _relate(
    update: ProgressUpdate,
    cycle: ReportingCycle,
    member_state: MemberState | None,
    recommendation: Recommendation,
) -> None:
    """Cache an update's cycle, state and recommendation as ``select_related`` would,
    with the objects at hand: joined again, each would be built (and its
    translations decoded) once an update. Written straight into Django's cache of
    related objects (what ``set_cached_value`` writes, keyed by field name): three
    descriptor calls an update were a tenth of a matrix."""
    update._state.fields_cache.update(
        cycle=cycle, member_state=member_state, recommendation=recommendation
    )


def status_matrix(
    *,
    cycle: ReportingCycle,
    as_of: datetime | None = None,
    details: bool = True,
    member_state: MemberState | None = None,
) -> StatusMatrix:
    """Every state's current (published) status on every recommendation of a cycle.

    A fixed number of queries: states, recommendations, and the current updates with
    their measures and assistance needs. Pages that show statuses and summaries only
    pass ``details=False``: no measures, no needs, no narratives, at a third of the
    cost (bench/README.md). A state's own page passes ``member_state``: the matrix
    then holds that state's row only, and no other state's or the Secretariat's
    statuses (its counts by recommendation or theme are not the hemisphere's).
    """
    catalogue = cycle.instrument.recommendations.select_related("theme")
    if details:
        # The report prints them; the pages of statuses do not.
        catalogue = catalogue.prefetch_related("footnotes__repeats")
    recommendations = list(catalogue)
    states = list(MemberState.objects.order_by("name_en"))
    # Each update's state and recommendation are the ones just read: joining them
    # again would build (and decode the translations of) two more objects an update.
    updates = ProgressUpdate.objects.filter(cycle=cycle)
    if member_state is not None:
        updates = updates.filter(member_state=member_state)
    current: Iterable[ProgressUpdate]
    if details:
        current = updates.current(as_of=as_of).prefetch_related(
            Prefetch("measures", queryset=Measure.objects.order_by("date", "pk")),
            Prefetch(
                "assistance_needs", queryset=AssistanceNeed.objects.order_by("pk")
            ),
        )
    else:
        # Unordered: the cells are looked up by state and recommendation.
        current = _lean_updates(updates.current(as_of=as_of).order_by())
    cells, secretariat = {}, {}
    states_by_pk: dict[int | None, MemberState] = {state.pk: state for state in states}
    recommendations_by_pk = {r.pk: r for r in recommendations}
    for update in current:
        _relate(
            update,
            cycle,
            states_by_pk.get(update.member_state_id),
            recommendations_by_pk[update.recommendation_id],
        )
        if update.member_state_id is None:
            secretariat[update.recommendation_id] = update
        else:
            cells[(update.member_state_id, update.recommendation_id)] = update
    return StatusMatrix(
        cycle, as_of, states, recommendations, cells, secretariat, details
    )


@dataclass(frozen=True)
class HemisphericSummary:
    participating: int
    reporting: int
    recommendations_reported: int  # recommendations with at least one state's status
    counts: Counter[str]  # over participating states x state recommendations
    themes: list[ThemeRow]  # by advanced share, most advanced first


def assistance_requested(matrix: StatusMatrix) -> list[tuple[str, int]]:
    """Kinds of technical assistance, most requested first, with how many participating
    states' updates ask for each."""
    if not matrix.details:
        # Without the prefetch this would be one query per update.
        raise ValueError("assistance_requested needs status_matrix(details=True)")
    return Counter(
        need.kind
        for update in matrix.cells.values()
        if update.member_state.participating  # type: ignore[union-attr]  # states' cells
        for need in update.assistance_needs.all()
    ).most_common()


def hemispheric_summary(matrix: StatusMatrix) -> HemisphericSummary:
    state_items = matrix.state_recommendations
    return HemisphericSummary(
        participating=len(matrix.participating),
        reporting=len(matrix.reporting_states),
        recommendations_reported=sum(
            1
            for r in state_items
            if any(matrix.update(state, r) for state in matrix.participating)
        ),
        counts=matrix.counts_for(state_items),
        themes=sorted(matrix.themes(), key=lambda row: -row.advanced_share),
    )


@dataclass(frozen=True)
class AdvancedShare:
    """Largely or fully implemented statuses over those that apply: "not applicable"
    is left out of the denominator; "no information" stays in it, as not advanced."""

    advanced: int
    applicable: int  # the statuses counted, "not applicable" left out
    not_applicable: int

    @property
    def share(self) -> float:
        return self.advanced / self.applicable if self.applicable else 0.0


def advanced_share(counts: Counter[str]) -> AdvancedShare:
    not_applicable = counts[Status.NOT_APPLICABLE]
    return AdvancedShare(
        advanced=sum(counts[s] for s in ADVANCED_STATUSES),
        applicable=sum(counts.values()) - not_applicable,
        not_applicable=not_applicable,
    )


@dataclass(frozen=True)
class Response:
    """Who reported in a cycle: the response rate and the statuses reported."""

    participating: int
    reporting: int
    statuses_reported: int  # participating states x state recommendations with one

    @property
    def rate(self) -> float:
        return self.reporting / self.participating if self.participating else 0.0

    @property
    def average_per_reporting_state(self) -> float:
        return self.statuses_reported / self.reporting if self.reporting else 0.0


def response(matrix: StatusMatrix) -> Response:
    participating = matrix.participating
    return Response(
        participating=len(participating),
        reporting=len(matrix.reporting_states),
        statuses_reported=sum(
            1
            for state in participating
            for r in matrix.state_recommendations
            if matrix.update(state, r) is not None
        ),
    )


def reported_by_state(matrix: StatusMatrix, state: MemberState) -> int:
    """How many of the recommendations addressed to states it has a status on."""
    return sum(1 for r in matrix.state_recommendations if matrix.update(state, r))


# --- The previous cycle, to compare with -------------------------------------------

# The scale's steps, from nothing done to all done; "not applicable" is off the scale.
SCALE_ORDER: dict[str, int] = {
    Status.NOT_STARTED: 0,
    Status.PLANNED: 1,
    Status.IN_PROGRESS: 2,
    Status.LARGELY_IMPLEMENTED: 3,
    Status.FULLY_IMPLEMENTED: 4,
}


def previous_cycle(*, cycle: ReportingCycle) -> ReportingCycle | None:
    """The cycle of the same instrument that started last before ``cycle``."""
    return (
        ReportingCycle.objects.filter(
            instrument_id=cycle.instrument_id, period_start__lt=cycle.period_start
        )
        .order_by("-period_start", "-pk")
        .first()
    )


def previous_status_matrix(
    *, cycle: ReportingCycle, as_of: datetime
) -> StatusMatrix | None:
    """The statuses of the previous cycle as it closed (or, if it never closed, its
    latest accepted ones), never later than ``as_of``: statuses only, no details."""
    previous = previous_cycle(cycle=cycle)
    if previous is None:
        return None
    moment = as_of
    if previous.closed_at is not None and previous.closed_at < as_of:
        moment = previous.closed_at
    return status_matrix(cycle=previous, as_of=moment, details=False)


@dataclass(frozen=True)
class Movement:
    """Participating states whose status on a recommendation moved between cycles."""

    advanced: int  # a step up the scale
    went_back: int  # a step down
    unchanged: int  # the same status
    not_comparable: int  # no status in one of the cycles, or "not applicable" in one

    @property
    def total(self) -> int:
        return self.advanced + self.went_back + self.unchanged + self.not_comparable


def movement(
    current: StatusMatrix,
    previous: StatusMatrix,
    recommendations: list[Recommendation],
) -> Movement:
    """How the participating states' statuses moved since the previous cycle, over
    ``recommendations`` (of the same instrument, so the same rows in both cycles)."""
    advanced = went_back = unchanged = not_comparable = 0
    for recommendation in recommendations:
        for state in current.participating:
            now = current.status(state, recommendation)
            before = previous.status(state, recommendation)
            if now == before and now != NO_INFORMATION:
                unchanged += 1
            elif now in SCALE_ORDER and before in SCALE_ORDER:
                if SCALE_ORDER[now] > SCALE_ORDER[before]:
                    advanced += 1
                else:
                    went_back += 1
            else:
                not_comparable += 1
    return Movement(advanced, went_back, unchanged, not_comparable)


def public_cycle() -> ReportingCycle | None:
    """The cycle public pages show by default: the open one, else the latest."""
    return (
        ReportingCycle.objects.open().select_related("instrument").first()
        or ReportingCycle.objects.select_related("instrument")
        .order_by("-period_start")
        .first()
    )


def public_cycle_or_404(slug: str | None) -> ReportingCycle:
    """The cycle a public page or download asks for by slug, else the default."""
    cycle = ReportingCycle.objects.filter(slug=slug).first() if slug else public_cycle()
    if cycle is None:
        raise Http404(_("There is no reporting cycle yet."))
    return cycle


# --- Change over time: each status as each cycle closed ----------------------------


def history_cycles(*, instrument: Instrument) -> list[ReportingCycle]:
    """The instrument's cycles that have been opened, oldest first: the open one, and
    those closed (a cycle made but never opened has nothing to show)."""
    return list(
        ReportingCycle.objects.filter(instrument=instrument)
        .filter(Q(is_open=True) | Q(closed_at__isnull=False))
        .order_by("period_start", "pk")
    )


def _as_cycles_closed(
    cycles: list[ReportingCycle],
    member_state: MemberState | None = None,
    recommendation: Recommendation | None = None,
) -> QuerySet[ProgressUpdate]:
    """Each status in each of ``cycles``: the latest update accepted before the cycle
    closed, or so far in the open cycle."""
    updates = ProgressUpdate.objects.filter(cycle__in=cycles).filter(
        Q(cycle__is_open=True) | Q(reviewed_at__lte=F("cycle__closed_at"))
    )
    if member_state is not None:
        updates = updates.filter(member_state=member_state)
    if recommendation is not None:
        updates = updates.filter(recommendation=recommendation)
    # The cut-off above narrows what ``current`` ranks: the latest as the cycle closed.
    return updates.current()


def history_updates(
    *,
    cycles: list[ReportingCycle],
    member_state: MemberState | None = None,
    recommendation: Recommendation | None = None,
) -> list[ProgressUpdate]:
    """The status of each state on each recommendation in each of ``cycles``: the
    latest update accepted before the cycle closed, or so far in the open cycle.
    Public parts only (no narrative is read); one query."""
    return list(
        _as_cycles_closed(cycles, member_state, recommendation)
        .select_related("cycle", "member_state", "recommendation__theme")
        .defer("narrative", "challenges")
        .order_by("recommendation__number", "member_state__name_en", "cycle_id")
    )


@dataclass(frozen=True)
class HistoryRow:
    subject: MemberState | Recommendation | None  # None: the OAS Secretariat
    statuses: list[ProgressUpdate | None]  # one per cycle, in the history's order


@dataclass(frozen=True)
class StatusHistory:
    """Statuses across cycles: a row per recommendation (a state's page) or per state
    (a recommendation's page), a column per cycle, oldest first."""

    cycles: list[ReportingCycle]
    rows: list[HistoryRow]

    @property
    def has_statuses(self) -> bool:
        return any(any(row.statuses) for row in self.rows)


def _statuses(
    updates: dict[tuple[Any, ...], ProgressUpdate],
    key: tuple[Any, ...],
    cycles: list[ReportingCycle],
) -> list[ProgressUpdate | None]:
    return [updates.get((*key, cycle.pk)) for cycle in cycles]


def state_status_history(
    *, member_state: MemberState, recommendations: list[Recommendation]
) -> StatusHistory:
    """A state's status on each of ``recommendations`` (one instrument's) per cycle."""
    if not recommendations:
        return StatusHistory([], [])
    cycles = history_cycles(instrument=recommendations[0].instrument)
    # Each update's cycle, state and recommendation are those at hand: read as lean
    # rows, not joined and built again (a third of the state's page, bench/README.md).
    cycles_by_pk = {cycle.pk: cycle for cycle in cycles}
    by_pk = {r.pk: r for r in recommendations}
    updates = {}
    for update in _lean_updates(
        _as_cycles_closed(cycles, member_state).order_by(), HISTORY_FIELDS
    ):
        if update.recommendation_id not in by_pk:
            continue  # not among the rows asked for
        _relate(
            update,
            cycles_by_pk[update.cycle_id],
            member_state,
            by_pk[update.recommendation_id],
        )
        updates[(update.recommendation_id, update.cycle_id)] = update
    return StatusHistory(
        cycles,
        [HistoryRow(r, _statuses(updates, (r.pk,), cycles)) for r in recommendations],
    )


def recommendation_status_history(
    *, recommendation: Recommendation, states: list[MemberState]
) -> StatusHistory:
    """Each state's status on a recommendation per cycle: ``states`` (the
    participating ones) and any other that had a status; the Secretariat alone for
    a recommendation addressed to it."""
    cycles = history_cycles(instrument=recommendation.instrument)
    found = history_updates(cycles=cycles, recommendation=recommendation)
    updates = {(u.member_state_id, u.cycle_id): u for u in found}
    if recommendation.is_for_secretariat:
        subjects: list[MemberState | None] = [None]
    else:
        listed = {state.pk for state in states}
        others = {
            u.member_state_id: u.member_state
            for u in found
            if u.member_state_id is not None and u.member_state_id not in listed
        }
        subjects = sorted([*states, *others.values()], key=lambda s: s.name)  # type: ignore[union-attr]  # states only
    return StatusHistory(
        cycles,
        [
            HistoryRow(s, _statuses(updates, (s.pk if s else None,), cycles))
            for s in subjects
        ],
    )


# --- The public matrix, filtered ----------------------------------------------------


class MatrixCell(NamedTuple):
    # A tuple, not a dataclass: the matrix makes 735 a page, and a frozen dataclass
    # costs several times more to make.
    recommendation: Recommendation
    status: str
    update: ProgressUpdate | None
    matches: bool  # at the status asked for (always, when none is)


@dataclass(frozen=True)
class MatrixSelection:
    """The part of the matrix a reader asked for: rows, columns, and a status."""

    recommendations: list[Recommendation]
    rows: list[tuple[MemberState, list[MatrixCell]]]
    status: str | None

    @property
    def is_empty(self) -> bool:
        return not self.rows or not self.recommendations


def matrix_selection(
    matrix: StatusMatrix,
    *,
    theme: str | None = None,
    status: str | None = None,
    member_state: str | None = None,
) -> MatrixSelection:
    """Participating states (or the one, by ISO3) by the recommendations addressed to
    states (or a theme's, by slug). With a status, only the states and the
    recommendations that have a cell at it, and only those cells marked."""
    recommendations = [
        r
        for r in matrix.state_recommendations
        if theme is None or r.theme.slug == theme
    ]
    states = [
        s
        for s in matrix.participating
        if member_state is None or s.iso3 == member_state
    ]
    if status is not None:
        states = [
            s
            for s in states
            if any(matrix.status(s, r) == status for r in recommendations)
        ]
        recommendations = [
            r
            for r in recommendations
            if any(matrix.status(s, r) == status for s in states)
        ]
    cells = matrix.cells
    rows = []
    for state in states:
        row = []
        for r in recommendations:
            update = cells.get((state.pk, r.pk))
            found = NO_INFORMATION if update is None else update.status
            row.append(MatrixCell(r, found, update, status is None or found == status))
        rows.append((state, row))
    return MatrixSelection(recommendations, rows, status)


# --- Search -------------------------------------------------------------------------


@dataclass(frozen=True)
class FoundRecommendation:
    recommendation: Recommendation
    text: Translation  # in the reader's language, or English standing in
    short_title: Translation


@dataclass(frozen=True)
class SearchResults:
    query: str
    recommendations: list[FoundRecommendation]
    states: list[MemberState]
    summaries: QuerySet[ProgressUpdate]  # accepted updates, newest first; paginate


def public_search(*, query: str) -> SearchResults:
    """Recommendations (their text and short title in the reader's language), member
    states (by name in the reader's language, or ISO3 code) and the summaries of
    accepted updates that contain ``query``, whatever its case and accents.

    The catalogue is small and searched in Python, with its translations; summaries
    are searched in the database: accents are ignored there on PostgreSQL only.
    """
    needle = fold(query)
    found = []
    for recommendation in (
        Instrument.objects.current()
        .recommendations.select_related("instrument", "theme")
        .order_by("number")
    ):
        text = translate(recommendation, "text")
        title = translate(recommendation, "short_title")
        if needle in fold(text.text) or needle in fold(title.text):
            found.append(FoundRecommendation(recommendation, text, title))
    states = sorted(
        (
            state
            for state in MemberState.objects.all()
            if needle in fold(state.name) or query.strip().upper() == state.iso3
        ),
        key=lambda state: state.name,
    )
    summaries = ProgressUpdate.objects.accepted().exclude(summary="")
    if connection.vendor == "postgresql":
        summaries = summaries.annotate(
            folded_summary=Func(F("summary"), function="unaccent")
        ).filter(folded_summary__icontains=Func(Value(query), function="unaccent"))
    else:
        summaries = summaries.filter(summary__icontains=query)
    summaries = (
        summaries.select_related("member_state", "recommendation", "cycle")
        .defer("narrative", "challenges")
        .order_by("-reviewed_at", "-pk")
    )
    return SearchResults(query, found, states, summaries)


# --- Reports (reporting.models) -----------------------------------------------------


def published_reports(*, cycle: ReportingCycle | None = None) -> QuerySet[ReportRun]:
    """Published hemispheric reports, newest first, for the public pages and open data.

    Each has ``get_public_url()`` (the public download) and ``download_name()``.
    """
    runs = (
        ReportRun.objects.published()
        .hemispheric()
        .exclude(pdf="")
        .select_related("cycle")
        .order_by("-published_at", "-pk")
    )
    return runs.filter(cycle=cycle) if cycle is not None else runs


@dataclass(frozen=True)
class LatestReport:
    cycle: ReportingCycle
    published_at: datetime  # when its newest edition was published
    editions: list[ReportRun]  # one a language, in the order of the report's


def latest_report() -> LatestReport | None:
    """The hemispheric report published last, in each language it was published in
    (the newest edition of each), for the home page. Two queries."""
    newest = published_reports().first()
    if newest is None:
        return None
    editions: dict[str, ReportRun] = {}
    for run in published_reports(cycle=newest.cycle):
        editions.setdefault(run.language, run)
    order = [code for code, _name in REPORT_LANGUAGES]
    return LatestReport(
        cycle=newest.cycle,
        published_at=newest.published_at,  # type: ignore[arg-type]  # published: set
        editions=sorted(editions.values(), key=lambda run: order.index(run.language)),
    )


def report_runs(
    *,
    cycle: ReportingCycle,
    member_state: MemberState | None,
    runs: QuerySet[ReportRun] | None = None,
) -> QuerySet[ReportRun]:
    """A cycle's runs of the hemispheric report (None) or of a state, newest first.

    ``runs`` narrows the candidates, e.g. to those a user may see.
    """
    runs = ReportRun.objects.all() if runs is None else runs
    runs = runs.filter(cycle=cycle)
    runs = (
        runs.filter(member_state__isnull=True)
        if member_state is None
        else runs.filter(member_state=member_state)
    )
    return runs.select_related(
        "cycle", "member_state", "requested_by", "published_by"
    ).order_by("-requested_at", "-pk")


def report_text(
    *, cycle: ReportingCycle, language: str, as_of: datetime | None = None
) -> ReportText | None:
    """The introduction and conclusions as they stood at ``as_of`` (latest if None)."""
    texts = ReportText.objects.filter(cycle=cycle, language=language)
    if as_of is not None:
        texts = texts.filter(created_at__lte=as_of)
    return texts.select_related("written_by").order_by("-created_at", "-pk").first()
