"""What the public sees without an account: the hemispheric status, states and themes.

Only accepted updates appear, and only their public parts. Every page is cached whole
for visitors without a session and revalidated with an ETag (core.publication).
"""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import urlencode
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.links import link_for_each
from core.publication import public_page
from recommendations import selectors as catalogue
from recommendations.models import (
    MemberState,
    ProgressUpdate,
    Recommendation,
    Theme,
)
from reporting import figures
from reporting import permissions as report_permissions
from reporting.labels import STATUS_SYMBOLS, StatusBadges, category_labels, legend
from reporting.public_forms import MatrixFilterForm
from reporting.selectors import (
    HistoryRow,
    MatrixSelection,
    StatusHistory,
    hemispheric_summary,
    matrix_selection,
    public_cycle,
    public_cycle_or_404,
    recommendation_status_history,
    state_status_history,
    status_matrix,
)

# Stands for a recommendation's number in markup written once for every number.
NUMBER = "999999"


def _matrix_rows(selection: MatrixSelection) -> list[tuple[MemberState, str, str]]:
    """Each row of the dashboard's matrix as (state, its page, its cells' HTML).

    The cells are written here, not by an include a cell: at 35 x 21 cells the
    template machinery cost more than the rest of the page (bench/README.md). A
    cell's markup depends on its status, its recommendation's number and, through
    its link, the state: each kind of cell is written once with a stand-in for the
    number, and the parts before and after the state's code are kept as plain text.
    """
    labels = category_labels()
    other = _("Recommendation %(number)s: another status") % {"number": NUMBER}
    named = _("Recommendation %(number)s: %(label)s")
    # One reverse for the page, not one a cell: only the state and number change.
    before_state, after_state = reverse(
        "reporting:state-recommendation", args=["ISO3", NUMBER]
    ).split("ISO3")
    state_page = reverse("reporting:state", args=["ISO3"])

    def markup(status: str, matches: bool, linked: bool) -> tuple[str, str]:
        """A kind of cell's markup before the state's code and after it (empty: no
        link), with the stand-in for the number."""
        if not matches:
            return str(
                format_html(
                    '<td><span class="matrix-cell matrix-cell--other">'
                    '<span class="visually-hidden">{}</span></span></td>',
                    other,
                )
            ), ""
        text = named % {"number": NUMBER, "label": labels[status]}
        if not linked:
            return str(
                format_html(
                    '<td><span class="matrix-cell status--no_information">'
                    '<span aria-hidden="true">·</span>'
                    '<span class="visually-hidden">{}</span></span></td>',
                    text,
                )
            ), ""
        head = format_html('<td><a class="matrix-cell status--{}" href="', status)
        tail = format_html(
            '"><span aria-hidden="true">{}</span>'
            '<span class="visually-hidden">{}</span></a></td>',
            STATUS_SYMBOLS.get(status, ""),
            text,
        )
        return str(head + escape(before_state)), str(escape(after_state) + tail)

    patterns: dict[tuple[str, bool, bool], tuple[str, str]] = {}
    kinds: dict[tuple[int, str, bool, bool], tuple[str, str]] = {}
    rows = []
    for state, cells in selection.rows:
        code = str(escape(state.iso3))
        html = []
        for cell in cells:
            key = (
                cell.recommendation.number,
                cell.status,
                cell.matches,
                cell.update is not None,
            )
            kind = kinds.get(key)
            if kind is None:
                pattern = patterns.get(key[1:])
                if pattern is None:
                    pattern = patterns[key[1:]] = markup(*key[1:])
                number = str(key[0])
                kind = kinds[key] = (
                    pattern[0].replace(NUMBER, number),
                    pattern[1].replace(NUMBER, number),
                )
            head, tail = kind
            html.append(head + code + tail if tail else head)
        rows.append(
            (
                state,
                state_page.replace("ISO3", state.iso3),
                mark_safe("".join(html)),  # noqa: S308 - escaped by format_html
            )
        )
    return rows


def _matrix_head(selection: MatrixSelection) -> str:
    """The matrix's column headings, a recommendation each, written here with the
    cells: in the template, a ``reverse`` and two translated titles a column."""
    link = link_for_each("reporting:recommendation", ...)
    return format_html_join(
        "",
        '<th scope="col"><a href="{}" aria-label="{}" title="{}">{}</a></th>',
        (
            (
                link(r.number),
                r.heading,
                r.numbered_title,
                r.number,
            )
            for r in selection.recommendations
        ),
    )


@dataclass(frozen=True)
class StateLine:
    """A row of a state's table of statuses, its words and links made once here."""

    url: str
    heading: str
    badge: str
    update: ProgressUpdate | None
    update_url: str
    on_recommendation: str


def _state_lines(matrix, state) -> list[StateLine]:
    badge = StatusBadges()
    recommendation_link = link_for_each("reporting:recommendation", ...)
    update_link = link_for_each("reporting:state-recommendation", state.iso3, ...)
    heading = _("Recommendation %(number)s")
    on_recommendation = _("on recommendation %(number)s")
    return [
        StateLine(
            url=recommendation_link(recommendation.number),
            heading=heading % {"number": recommendation.number},
            badge=badge(update),
            update=update,
            update_url=update_link(recommendation.number),
            on_recommendation=on_recommendation % {"number": recommendation.number},
        )
        for recommendation, update in matrix.row(state)
    ]


def _history_lines(history: StatusHistory) -> list[tuple[HistoryRow, str]]:
    """Each row of a status history with its cells' HTML, written here for the same
    reason as the matrix's: an include and a ``url`` a cell."""
    badge = StatusBadges()
    link = link_for_each("reporting:state-recommendation", ..., ...)
    lines = []
    for row in history.rows:
        cells = []
        for update in row.statuses:
            if update is None or update.member_state_id is None:
                cells.append(format_html("<td>{}</td>", badge(update)))
                continue
            href = (
                link(update.member_state.iso3, update.recommendation.number)
                + "?cycle="
                + urlencode(update.cycle.slug)
            )
            cells.append(
                format_html('<td><a href="{}">{}</a></td>', href, badge(update))
            )
        lines.append((row, mark_safe("".join(cells))))  # noqa: S308 - format_html
    return lines


@public_page
def dashboard(request):
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    matrix = status_matrix(cycle=cycle, details=False)
    filters = MatrixFilterForm(request.GET, matrix=matrix)
    selection = matrix_selection(matrix, **filters.selected())
    summary = hemispheric_summary(matrix)
    labels = category_labels()
    chosen = bool(request.GET.get("cycle"))
    return render(
        request,
        "reporting/public/dashboard.html",
        {
            "cycle": cycle,
            "matrix": matrix,
            "summary": summary,
            "filters": filters,
            "filter_query": filters.query(cycle=request.GET.get("cycle")),
            "selection": selection,
            "matrix_head": _matrix_head(selection),
            "matrix_rows": _matrix_rows(selection),
            "secretariat": [
                (r, matrix.secretariat.get(r.pk))
                for r in matrix.secretariat_recommendations
            ],
            "chart_recommendations": figures.dashboard_chart(
                matrix, "recommendations", chosen=chosen
            ),
            "chart_themes": figures.dashboard_chart(matrix, "themes", chosen=chosen),
            "legend": legend(),
            "labels": labels,
        },
        status=400 if filters.errors else 200,
    )


@public_page
def status_map(request):
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    matrix = status_matrix(cycle=cycle, details=False)
    figure = figures.americas_map(matrix, chosen=bool(request.GET.get("cycle")))
    return render(
        request,
        "reporting/public/map.html",
        {"cycle": cycle, "figure": figure, "rows": figure.rows, "matrix": matrix},
    )


@public_page
def state_list(request):
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    matrix = status_matrix(cycle=cycle, details=False)
    rows = [
        {
            "state": state,
            "reported": sum(1 for _r, update in matrix.row(state) if update),
            "share": matrix.advanced_share_of_state(state),
        }
        for state in sorted(matrix.states, key=lambda s: s.name)
    ]
    return render(
        request,
        "reporting/public/state_list.html",
        {"cycle": cycle, "rows": rows, "total": len(matrix.state_recommendations)},
    )


@public_page
def state_detail(request, iso3: str):
    state = get_object_or_404(MemberState, iso3=iso3.upper())
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    matrix = status_matrix(cycle=cycle, details=False, member_state=state)
    figure = figures.state_chart(matrix, state, chosen=bool(request.GET.get("cycle")))
    history = state_status_history(
        member_state=state, recommendations=matrix.state_recommendations
    )
    return render(
        request,
        "reporting/public/state_detail.html",
        {
            "state": state,
            "cycle": cycle,
            "lines": _state_lines(matrix, state),
            "chart": figure.svg,
            "figure": figure,
            "history": history,
            "history_lines": _history_lines(history),
            "legend": legend(),
            # Its profile as a PDF, once the cycle's report is published.
            "profiles": report_permissions.public_profiles(
                member_state=state, cycle=cycle
            ),
        },
    )


@public_page
def state_recommendation(request, iso3: str, number: int):
    """A state's published updates on one recommendation: the current one and before."""
    state = get_object_or_404(MemberState, iso3=iso3.upper())
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    recommendation = get_object_or_404(
        Recommendation, instrument=cycle.instrument, number=number
    )
    published = list(
        ProgressUpdate.objects.accepted()
        .filter(member_state=state, recommendation=recommendation)
        .select_related("cycle")
        .prefetch_related("measures", "assistance_needs")
        .order_by("-reviewed_at")
    )
    current = next((u for u in published if u.cycle_id == cycle.pk), None)
    return render(
        request,
        "reporting/public/state_recommendation.html",
        {
            "state": state,
            "cycle": cycle,
            "recommendation": recommendation,
            "current": current,
            "earlier": [u for u in published if u is not current],
        },
    )


@public_page
def theme_detail(request, slug: str):
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    theme = get_object_or_404(Theme, instrument=cycle.instrument, slug=slug)
    matrix = status_matrix(cycle=cycle, details=False)
    recommendations = [r for r in matrix.recommendations if r.theme_id == theme.pk]
    figure = figures.theme_chart(matrix, theme, chosen=bool(request.GET.get("cycle")))
    return render(
        request,
        "reporting/public/theme_detail.html",
        {
            "cycle": cycle,
            "theme": theme,
            "recommendations": recommendations,
            "chart": figure.svg,
            "figure": figure,
            "matrix": matrix,
        },
    )


@public_page
def recommendation(request, number: int):
    try:
        item = catalogue.recommendation_detail(
            instrument=catalogue.current_instrument(), number=number
        )
    except Recommendation.DoesNotExist:
        raise Http404 from None
    context = {"recommendation": item}
    cycle = public_cycle()
    if cycle is not None:
        matrix = status_matrix(cycle=cycle, details=False)
        figure = figures.recommendation_chart(matrix, item)
        history = recommendation_status_history(
            recommendation=item, states=matrix.participating
        )
        context.update(
            cycle=cycle,
            chart=figure.svg,
            figure=figure,
            states=[
                (state, matrix.update(state, item)) for state in matrix.participating
            ]
            if not item.is_for_secretariat
            else [],
            secretariat_update=matrix.secretariat.get(item.pk),
            history=history,
            history_lines=_history_lines(history),
        )
    return render(request, "recommendations/recommendation.html", context)
