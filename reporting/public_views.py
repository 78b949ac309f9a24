"""What the public sees without an account: the hemispheric status, states and themes.

Only accepted updates appear, and only their public parts. Every page is cached whole
for visitors without a session and revalidated with an ETag (core.publication).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.publication import public_page
from recommendations import selectors as catalogue
from recommendations.models import (
    MemberState,
    ProgressUpdate,
    Recommendation,
    Theme,
)
from reporting import charts, maps
from reporting import permissions as report_permissions
from reporting.labels import category_labels, legend
from reporting.public_forms import MatrixFilterForm
from reporting.selectors import (
    NO_INFORMATION,
    hemispheric_summary,
    matrix_selection,
    public_cycle,
    public_cycle_or_404,
    recommendation_status_history,
    state_status_history,
    status_matrix,
)

MAP_BINS = [0.2, 0.4, 0.6, 0.8]


def _recommendation_rows(matrix, recommendations) -> list[charts.ChartRow]:
    return [
        charts.ChartRow(
            label=r.numbered_title,
            counts=matrix.counts_for_recommendation(r),
            href=r.get_absolute_url(),
        )
        for r in recommendations
    ]


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
    by_recommendation = charts.status_bars(
        rows=_recommendation_rows(matrix, matrix.state_recommendations),
        title=_("Status of the participating states, by recommendation"),
        description=charts.status_summary(summary.counts, labels),
        category_labels=labels,
        id_prefix="chart-recommendations",
    )
    by_theme = charts.status_bars(
        rows=[
            charts.ChartRow(
                label=str(row.theme.translated.title),
                counts=row.counts,
                href=reverse("reporting:theme", args=[row.theme.slug]),
            )
            for row in matrix.themes()
            if row.counts
        ],
        title=_("Status by theme"),
        description=_(
            "Each bar adds up the statuses of all the theme's recommendations."
        ),
        category_labels=labels,
        id_prefix="chart-themes",
    )
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
            "secretariat": [
                (r, matrix.secretariat.get(r.pk))
                for r in matrix.secretariat_recommendations
            ],
            "chart_recommendations": by_recommendation,
            "chart_themes": by_theme,
            "legend": legend(),
            "labels": labels,
        },
        status=400 if filters.errors else 200,
    )


def _map_class(matrix, state) -> str:
    if not state.participating:
        return "not-participating"
    if not matrix.reported(state):
        return "no-information"
    share = matrix.advanced_share_of_state(state)
    return f"bin-{sum(share >= edge for edge in MAP_BINS) + 1}"


@public_page
def status_map(request):
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    matrix = status_matrix(cycle=cycle, details=False)
    rows, cells = [], {}
    for state in matrix.states:
        css_class = _map_class(matrix, state)
        share = matrix.advanced_share_of_state(state)
        if css_class == "not-participating":
            text = _("%(state)s: not participating") % {"state": state.name}
        elif css_class == "no-information":
            text = _("%(state)s: no information") % {"state": state.name}
        else:
            text = _("%(state)s: %(share)s%% largely or fully implemented") % {
                "state": state.name,
                "share": round(share * 100),
            }
        href = reverse("reporting:state", args=[state.iso3])
        cells[state.iso3] = maps.MapCell(state.iso3, text, css_class, href)
        rows.append({"state": state, "class": css_class, "share": share, "text": text})
    legend_entries = [
        maps.LegendEntry(f"bin-{i + 1}", label)
        for i, label in enumerate(
            [
                pgettext("share", "under 20%"),
                pgettext("share", "20% to 39%"),
                pgettext("share", "40% to 59%"),
                pgettext("share", "60% to 79%"),
                pgettext("share", "80% or more"),
            ]
        )
    ] + [
        maps.LegendEntry("no-information", _("No information")),
        maps.LegendEntry("not-participating", _("Not participating")),
    ]
    svg = maps.render_americas_map(
        cells=cells,
        title=_("Share of recommendations largely or fully implemented, by state"),
        description=_(
            "A map of the Americas. Each member state is coloured by the share of the "
            "21 recommendations addressed to states that it has largely or fully "
            "implemented. The table after the map gives the same figures."
        ),
        legend=legend_entries,
    )
    rows.sort(key=lambda row: row["state"].name)
    return render(
        request,
        "reporting/public/map.html",
        {"cycle": cycle, "map": svg, "rows": rows, "matrix": matrix},
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
    matrix = status_matrix(cycle=cycle, details=False)
    labels = category_labels()
    counts = matrix.counts_for_state(state)
    chart = charts.status_bar(
        counts=counts,
        title=_("%(state)s: statuses on the 21 recommendations")
        % {"state": state.name},
        description=charts.status_summary(counts, labels),
        category_labels=labels,
        id_prefix="chart-state",
        legend=True,
    )
    return render(
        request,
        "reporting/public/state_detail.html",
        {
            "state": state,
            "cycle": cycle,
            "cells": _cells(matrix, state),
            "chart": chart,
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
    labels = category_labels()
    chart = charts.status_bars(
        rows=_recommendation_rows(matrix, recommendations),
        title=_("Status of the participating states, by recommendation"),
        description=charts.status_summary(matrix.counts_for(recommendations), labels),
        category_labels=labels,
        id_prefix="chart-theme",
    )
    return render(
        request,
        "reporting/public/theme_detail.html",
        {
            "cycle": cycle,
            "theme": theme,
            "recommendations": recommendations,
            "chart": chart,
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
        labels = category_labels()
        counts = matrix.counts_for_recommendation(item)
        context.update(
            cycle=cycle,
            chart=charts.status_bar(
                counts=counts,
                title=_("Status of the participating states"),
                description=charts.status_summary(counts, labels),
                category_labels=labels,
                id_prefix="chart-recommendation",
                legend=True,
            ),
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
