from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.publication import public_page
from recommendations import selectors
from recommendations.models import Recommendation
from reporting import charts
from reporting.public_views import category_labels
from reporting.selectors import public_cycle, status_matrix


@public_page
def catalogue(request):
    instrument = selectors.current_instrument()
    return render(
        request,
        "recommendations/catalogue.html",
        {
            "instrument": instrument,
            "themes": selectors.themes_with_recommendations(instrument=instrument),
            "title_footnotes": instrument.footnotes.filter(on_title=True),
        },
    )


@public_page
def recommendation(request, number: int):
    try:
        item = selectors.recommendation_detail(
            instrument=selectors.current_instrument(), number=number
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
        )
    return render(request, "recommendations/recommendation.html", context)
