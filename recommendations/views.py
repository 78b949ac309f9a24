from django.http import Http404
from django.shortcuts import render

from recommendations import selectors
from recommendations.models import Recommendation


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


def recommendation(request, number: int):
    try:
        item = selectors.recommendation_detail(
            instrument=selectors.current_instrument(), number=number
        )
    except Recommendation.DoesNotExist:
        raise Http404 from None
    return render(
        request, "recommendations/recommendation.html", {"recommendation": item}
    )
