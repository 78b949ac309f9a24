"""Read queries shared by the pages, the API and the reports."""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from recommendations.diffs import UpdateDiff, update_diff
from recommendations.models import (
    GoodPracticeMark,
    Instrument,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
    Theme,
    UpdateEvent,
    Visibility,
)
from recommendations.services import diff_snapshots, snapshot


@dataclass(frozen=True)
class CatalogueOverview:
    instrument: Instrument
    themes: list[Theme]
    recommendation_count: int
    member_state_count: int
    participating_count: int


def current_instrument() -> Instrument:
    return Instrument.objects.current()


def themes_with_recommendations(*, instrument: Instrument) -> list[Theme]:
    """The instrument's themes in order, each with its recommendations and footnotes."""
    recommendations = Recommendation.objects.order_by("number").prefetch_related(
        "footnotes__repeats"
    )
    return list(
        instrument.themes.order_by("position").prefetch_related(
            Prefetch("recommendations", queryset=recommendations)
        )
    )


def recommendation_detail(*, instrument: Instrument, number: int) -> Recommendation:
    return (
        Recommendation.objects.select_related("theme", "instrument")
        .prefetch_related("footnotes__repeats")
        .get(instrument=instrument, number=number)
    )


def catalogue_overview() -> CatalogueOverview:
    instrument = current_instrument()
    themes = themes_with_recommendations(instrument=instrument)
    states = MemberState.objects.all()
    return CatalogueOverview(
        instrument=instrument,
        themes=themes,
        recommendation_count=sum(len(t.recommendations.all()) for t in themes),
        member_state_count=states.count(),
        participating_count=states.filter(participating=True).count(),
    )


# --- Reporting ---------------------------------------------------------------------


def open_cycle() -> ReportingCycle | None:
    return ReportingCycle.objects.open().prefetch_related("extensions").first()


def recommendations_for(
    *, instrument: Instrument, member_state: MemberState | None
) -> QuerySet[Recommendation]:
    """What a state reports on (all but the Secretariat's), or the Secretariat's own."""
    addressee = (
        Recommendation.Addressee.SECRETARIAT
        if member_state is None
        else Recommendation.Addressee.MEMBER_STATES
    )
    return instrument.recommendations.filter(addressee=addressee).select_related(
        "theme"
    )


@dataclass
class DashboardRow:
    recommendation: Recommendation
    current: ProgressUpdate | None  # the status: latest accepted in the cycle
    working: ProgressUpdate | None  # a draft, submitted or returned update
    return_comment: str = ""


@dataclass
class DashboardTheme:
    theme: Theme
    rows: list[DashboardRow]


@dataclass
class Deadline:
    moment: datetime
    time_zone: str
    extended: bool

    @property
    def local(self) -> datetime:
        return timezone.localtime(self.moment, ZoneInfo(self.time_zone))

    @property
    def days_left(self) -> int:
        return (self.moment - timezone.now()).days

    @property
    def passed(self) -> bool:
        return timezone.now() > self.moment


def deadline_for(
    *, cycle: ReportingCycle, member_state: MemberState | None
) -> Deadline:
    moment = cycle.deadline_for(member_state)
    return Deadline(moment, cycle.time_zone, extended=moment != cycle.deadline)


_DASHBOARD_UPDATE_FIELDS = (
    "recommendation_id",
    "status",
    "review_state",
    "reviewed_at",
    "updated_at",
)


def state_dashboard(
    *, cycle: ReportingCycle, member_state: MemberState | None
) -> list[DashboardTheme]:
    """A state's recommendations by theme, with its status and work in progress.

    A fixed number of queries however many updates the state has filed.
    """
    recommendations = list(
        recommendations_for(instrument=cycle.instrument, member_state=member_state)
    )
    # The columns the dashboard shows, not the texts of every update.
    updates = ProgressUpdate.objects.filter(
        cycle=cycle, member_state=member_state
    ).only(*_DASHBOARD_UPDATE_FIELDS)
    current = {u.recommendation_id: u for u in updates.current()}
    returns = UpdateEvent.objects.filter(action=UpdateEvent.Action.RETURNED).order_by(
        "-created_at"
    )
    working = {
        u.recommendation_id: u
        for u in updates.open().prefetch_related(
            Prefetch("events", queryset=returns, to_attr="returns")
        )
    }
    themes: dict[int, DashboardTheme] = {}
    for recommendation in recommendations:
        update = working.get(recommendation.pk)
        comment = ""
        if update and update.review_state == ReviewState.RETURNED and update.returns:  # type: ignore[attr-defined]  # Prefetch's to_attr
            comment = update.returns[0].comment  # type: ignore[attr-defined]  # Prefetch's to_attr
        group = themes.setdefault(
            recommendation.theme_id, DashboardTheme(recommendation.theme, [])
        )
        group.rows.append(
            DashboardRow(
                recommendation, current.get(recommendation.pk), update, comment
            )
        )
    return list(themes.values())


def latest_return(update: ProgressUpdate) -> UpdateEvent | None:
    """The Secretariat's latest return of the update (its ``comment``, ``actor`` and
    ``created_at``), or None if it was never returned. An accepted update has answered
    it: None too."""
    if update.review_state == ReviewState.ACCEPTED or update.returned_at is None:
        return None
    return (
        update.events.filter(action=UpdateEvent.Action.RETURNED)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )


def previous_accepted(update: ProgressUpdate) -> ProgressUpdate | None:
    """The state's accepted update on the recommendation before this one, in this
    cycle or an earlier one: its status when this update was written. With its cycle,
    reviewer, measures and evidence."""
    earlier = (
        ProgressUpdate.objects.accepted()
        .filter(
            member_state_id=update.member_state_id,
            recommendation_id=update.recommendation_id,
            cycle__period_start__lte=update.cycle.period_start,
        )
        .exclude(pk=update.pk)
    )
    if update.review_state == ReviewState.ACCEPTED:
        earlier = earlier.filter(reviewed_at__lt=update.reviewed_at)
    return (
        earlier.select_related("cycle", "reviewed_by")
        .prefetch_related("measures", "assistance_needs", "evidence")
        .order_by("-reviewed_at", "-pk")
        .first()
    )


@dataclass
class ReviewContext:
    """What a reviewer weighs an update against."""

    previous: ProgressUpdate | None  # the state's previously accepted update
    changes: UpdateDiff | None  # what changed since it
    last_return: UpdateEvent | None  # the Secretariat's latest return, if any


def review_context(*, update: ProgressUpdate) -> ReviewContext:
    """The previously accepted update, what changed since, and the latest return.
    Prefetch the update's measures, needs and evidence: the page shows them too."""
    previous = previous_accepted(update)
    changes = None
    if previous is not None:
        changes = update_diff(snapshot(previous), snapshot(update))
    return ReviewContext(previous, changes, latest_return(update))


def update_timeline(*, update: ProgressUpdate) -> list[dict[str, Any]]:
    """The update's history, each step with what it changed since the step before."""
    steps: list[dict[str, Any]] = []
    previous: dict[str, Any] = {}
    for event in update.events.select_related("actor"):
        changes = diff_snapshots(previous, event.snapshot) if previous else []
        steps.append({"event": event, "changes": changes})
        previous = event.snapshot or previous
    return steps


def review_queue(
    *,
    cycle: ReportingCycle,
    member_state: MemberState | None = None,
    theme: Theme | None = None,
    recommendation: Recommendation | None = None,
    submitted_before: datetime | None = None,
) -> QuerySet[ProgressUpdate]:
    """Submitted updates waiting for review, oldest first."""
    queue = ProgressUpdate.objects.filter(
        cycle=cycle, review_state=ReviewState.SUBMITTED
    ).select_related("member_state", "recommendation__theme", "author")
    if member_state is not None:
        queue = queue.filter(member_state=member_state)
    if theme is not None:
        queue = queue.filter(recommendation__theme=theme)
    if recommendation is not None:
        queue = queue.filter(recommendation=recommendation)
    if submitted_before is not None:
        queue = queue.filter(submitted_at__lte=submitted_before)
    return queue.order_by("submitted_at")


@dataclass
class Coverage:
    states: list[MemberState]
    recommendations: list[Recommendation]
    cells: dict[tuple[int, int], str]  # (state, recommendation) -> review state
    silent: list[MemberState]  # participating states that submitted nothing

    def cell(self, state: MemberState, recommendation: Recommendation) -> str:
        return self.cells.get((state.pk, recommendation.pk), "")


# The furthest an update got: accepted beats awaiting review beats returned beats draft.
_PROGRESS_ORDER: list[str] = [
    ReviewState.DRAFT,
    ReviewState.RETURNED,
    ReviewState.SUBMITTED,
    ReviewState.ACCEPTED,
]


def coverage(*, cycle: ReportingCycle) -> Coverage:
    """Which participating states reported on which recommendations in the cycle."""
    states = list(MemberState.objects.filter(participating=True))
    recommendations = (
        list(recommendations_for(instrument=cycle.instrument, member_state=states[0]))
        if states
        else []
    )
    cells: dict[tuple[int, int], str] = {}
    rows = ProgressUpdate.objects.filter(
        cycle=cycle, member_state__participating=True
    ).values_list("member_state_id", "recommendation_id", "review_state")
    for state_id, recommendation_id, state in rows:
        key = (state_id, recommendation_id)
        if key not in cells or _PROGRESS_ORDER.index(state) > _PROGRESS_ORDER.index(
            cells[key]
        ):
            cells[key] = state
    reported = {key[0] for key, state in cells.items() if state != ReviewState.DRAFT}
    silent = [state for state in states if state.pk not in reported]
    return Coverage(states, recommendations, cells, silent)


# --- Good practices picked for the report (see recommendations.good_practices) -----


@dataclass(frozen=True)
class GoodPractice:
    """A good practice as the report quotes it: the state, and the excerpt in the
    language it was written in."""

    member_state: MemberState
    excerpt: str
    language: str
    update_id: int


def _name_key(name: str) -> str:
    """Alphabetical in any of the languages, accents aside ("États-Unis" among E)."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def good_practices(
    *, cycle: ReportingCycle, as_of: datetime
) -> dict[int, list[GoodPractice]]:
    """The good practices a report of ``cycle`` as of ``as_of`` quotes, by
    recommendation number, each list in the order of the states' names (in the
    active language).

    A mark counts when, at ``as_of``: it was in force (marked at or before ``as_of``,
    not yet unmarked nor replaced by a new excerpt), and its update was the state's
    current status on the recommendation (its latest accepted update in the cycle),
    with a public narrative. A mark on an update that a newer accepted one has since
    replaced stops counting from the newer one's acceptance: it stays on the old
    update, and a reviewer may mark the new one. One query, however many marks.
    """
    current = ProgressUpdate.objects.filter(cycle=cycle).current(as_of)
    marks = (
        GoodPracticeMark.objects.filter(
            update__in=current,
            update__narrative_visibility=Visibility.PUBLIC,
            update__member_state__isnull=False,
            marked_at__lte=as_of,
        )
        .filter(Q(unmarked_at__isnull=True) | Q(unmarked_at__gt=as_of))
        .annotate(number=F("update__recommendation__number"))
        .select_related("update__member_state")
        .defer("update__narrative", "update__challenges")
    )
    result: dict[int, list[GoodPractice]] = {}
    for mark in marks:
        result.setdefault(mark.number, []).append(
            GoodPractice(
                member_state=mark.update.member_state,  # type: ignore[arg-type]  # filtered: not null
                excerpt=mark.excerpt,
                language=mark.language,
                update_id=mark.update_id,
            )
        )
    for practices in result.values():
        practices.sort(
            key=lambda p: (_name_key(p.member_state.name), p.member_state.iso3)
        )
    return dict(sorted(result.items()))


def good_practice_marks(*, cycle: ReportingCycle) -> list[GoodPracticeMark]:
    """The marks in force on updates of ``cycle``, for the reviewers' list: by
    recommendation, then by the state's name."""
    marks = (
        GoodPracticeMark.objects.filter(update__cycle=cycle, unmarked_at__isnull=True)
        .select_related("update__member_state", "update__recommendation", "marked_by")
        .defer("update__narrative", "update__challenges")
    )
    return sorted(
        marks,
        key=lambda mark: (
            mark.update.recommendation.number,
            _name_key(mark.update.member_state.name)
            if mark.update.member_state
            else "",
        ),
    )


# --- Start pages: what each role has to do next ------------------------------------


@dataclass
class DueWork:
    """What a state (None: the Secretariat, on the recommendations addressed to it)
    has to do in a cycle. Updates the Secretariat returned or that went back to
    draft after a return carry ``last_return``: the latest return (its comment)."""

    member_state: MemberState | None
    deadline: Deadline
    returned: list[ProgressUpdate]
    drafts: list[ProgressUpdate]
    not_reported: list[Recommendation]

    @property
    def anything(self) -> bool:
        return bool(self.returned or self.drafts or self.not_reported)


def due_work(
    *, cycle: ReportingCycle, member_states: list[MemberState | None]
) -> list[DueWork]:
    """For each of ``member_states``, in ``cycle``: its returned updates, its drafts,
    and the recommendations it has filed nothing on. At most three queries however
    many states, updates and returns (prefetch the cycle's extensions)."""
    if not member_states:
        return []
    recommendations = list(cycle.instrument.recommendations.order_by("number"))
    state_ids = [state.pk for state in member_states if state is not None]
    whose = Q(member_state_id__in=state_ids)
    if None in member_states:
        whose |= Q(member_state__isnull=True)
    updates = list(
        ProgressUpdate.objects.filter(whose, cycle=cycle)
        .select_related("recommendation")
        .defer("narrative", "challenges")
        .order_by("recommendation__number", "pk")
    )
    answered = [
        update
        for update in updates
        if update.returned_at is not None
        and update.review_state in (ReviewState.RETURNED, ReviewState.DRAFT)
    ]
    latest: dict[int, UpdateEvent] = {}
    if answered:
        returns = UpdateEvent.objects.filter(
            update__in=[update.pk for update in answered],
            action=UpdateEvent.Action.RETURNED,
        ).order_by("update_id", "-created_at", "-pk")
        for event in returns:
            latest.setdefault(event.update_id, event)
    result = []
    for state in member_states:
        state_id = state.pk if state is not None else None
        own = [update for update in updates if update.member_state_id == state_id]
        for update in own:
            update.last_return = latest.get(update.pk)  # type: ignore[attr-defined]  # for the template, no field
        filed = {update.recommendation_id for update in own}
        addressee = (
            Recommendation.Addressee.SECRETARIAT
            if state is None
            else Recommendation.Addressee.MEMBER_STATES
        )
        result.append(
            DueWork(
                member_state=state,
                deadline=deadline_for(cycle=cycle, member_state=state),
                returned=[u for u in own if u.review_state == ReviewState.RETURNED],
                drafts=[u for u in own if u.review_state == ReviewState.DRAFT],
                not_reported=[
                    r
                    for r in recommendations
                    if r.addressee == addressee and r.pk not in filed
                ],
            )
        )
    return result


@dataclass
class QueueSummary:
    waiting: int
    states: int
    oldest: ProgressUpdate | None  # the update that has waited longest


def review_queue_summary(*, cycle: ReportingCycle) -> QueueSummary:
    """How many updates wait for review in ``cycle``, from how many states, and the
    one that has waited longest. Two queries."""
    queue = review_queue(cycle=cycle)
    counts = queue.aggregate(
        waiting=Count("pk"), states=Count("member_state", distinct=True)
    )
    oldest = queue.first() if counts["waiting"] else None
    return QueueSummary(counts["waiting"], counts["states"], oldest)


@dataclass
class CoverageSummary:
    participating: int
    reported: int
    silent: list[MemberState]  # participating states that submitted nothing


def coverage_summary(*, cycle: ReportingCycle) -> CoverageSummary:
    """``coverage``'s count of states that reported in ``cycle`` (submitted anything,
    drafts aside), in two queries however many updates."""
    states = list(MemberState.objects.filter(participating=True))
    reported = set(
        ProgressUpdate.objects.filter(cycle=cycle, member_state__participating=True)
        .exclude(review_state=ReviewState.DRAFT)
        .values_list("member_state_id", flat=True)
        .distinct()
    )
    silent = [state for state in states if state.pk not in reported]
    return CoverageSummary(len(states), len(states) - len(silent), silent)
