"""What the public sees without an account: the hemispheric status, states and themes.

Only accepted updates appear, and only their public parts. Every page is cached whole
for visitors without a session and revalidated with an ETag (core.publication).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

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
from reporting.labels import STATUS_SYMBOLS, category_labels, legend
from reporting.public_forms import MatrixFilterForm
from reporting.selectors import (
    NO_INFORMATION,
    MatrixCell,
    MatrixSelection,
    hemispheric_summary,
    matrix_selection,
    public_cycle,
    public_cycle_or_404,
    recommendation_status_history,
    state_status_history,
    status_matrix,
)


def _matrix_rows(selection: MatrixSelection) -> list[tuple[MemberState, str, str]]:
    """Each row of the dashboard's matrix as (state, its page, its cells' HTML).

    The cells are written here, not by an include a cell: at 35 x 21 cells the
    template machinery cost more than the rest of the page (bench/README.md). A
    cell's markup depends on its recommendation and status, and its link on the
    state too: each kind of cell is written once, then joined to its link.
    """
    labels = category_labels()
    other = _("Recommendation %(number)s: another status")
    named = _("Recommendation %(number)s: %(label)s")
    # One reverse for the page, not one a cell: only the state and number change.
    link = reverse("reporting:state-recommendation", args=["ISO3", 999999])
    kinds: dict[tuple[int, str, bool, bool], tuple[str, str]] = {}

    def markup(cell: MatrixCell) -> tuple[str, str]:
        """The cell's markup before its link, and after it (empty: no link)."""
        number = cell.recommendation.number
        if not cell.matches:
            return format_html(
                '<td><span class="matrix-cell matrix-cell--other">'
                '<span class="visually-hidden">{}</span></span></td>',
                other % {"number": number},
            ), ""
        text = named % {"number": number, "label": labels[cell.status]}
        if cell.update is None:
            return format_html(
                '<td><span class="matrix-cell status--no_information">'
                '<span aria-hidden="true">·</span>'
                '<span class="visually-hidden">{}</span></span></td>',
                text,
            ), ""
        return format_html(
            '<td><a class="matrix-cell status--{}" href="', cell.status
        ), format_html(
            '"><span aria-hidden="true">{}</span>'
            '<span class="visually-hidden">{}</span></a></td>',
            STATUS_SYMBOLS.get(cell.status, ""),
            text,
        )

    rows = []
    for state, cells in selection.rows:
        state_link = escape(link.replace("ISO3", state.iso3))
        html = []
        for cell in cells:
            key = (
                cell.recommendation.number,
                cell.status,
                cell.matches,
                cell.update is None,
            )
            if key not in kinds:
                kinds[key] = markup(cell)
            before, after = kinds[key]
            if after:
                number = str(cell.recommendation.number)
                html.append(before + state_link.replace("999999", number) + after)
            else:
                html.append(before)
        rows.append(
            (
                state,
                reverse("reporting:state", args=[state.iso3]),
                mark_safe("".join(html)),  # noqa: S308 - escaped by format_html
            )
        )
    return rows


def _cells(matrix, state) -> list[dict]:
    return [
        {
            "recommendation": recommendation,
            "status": update.status if update else NO_INFORMATION,
            "update": update,
        }
        for recommendation, update in matrix.row(state)
    ]


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
    return render(
        request,
        "reporting/public/state_detail.html",
        {
            "state": state,
            "cycle": cycle,
            "cells": _cells(matrix, state),
            "chart": figure.svg,
            "figure": figure,
            "history": state_status_history(
                member_state=state, recommendations=matrix.state_recommendations
            ),
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
            history=recommendation_status_history(
                recommendation=item, states=matrix.participating
            ),
        )
    return render(request, "recommendations/recommendation.html", context)
