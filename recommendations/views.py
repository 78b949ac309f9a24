from django.shortcuts import render

from core.publication import public_page
from recommendations import selectors


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
