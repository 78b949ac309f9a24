"""The public pages most read, rendered after each publication before readers see it
(core.tasks.warm_public_pages)."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from recommendations import selectors as catalogue
from recommendations.models import MemberState, Recommendation, Theme


def most_read_pages() -> list[str]:
    """The home page, the dashboard, the map, the catalogue and every recommendation,
    theme and state page, in each language."""
    instrument = catalogue.current_instrument()
    pages: list[tuple[str, dict]] = [
        ("home", {}),
        ("reporting:dashboard", {}),
        ("reporting:map", {}),
        ("reporting:states", {}),
        ("recommendations:catalogue", {}),
    ]
    pages += [
        ("reporting:recommendation", {"number": number})
        for number in Recommendation.objects.filter(instrument=instrument)
        .order_by("number")
        .values_list("number", flat=True)
    ]
    pages += [
        ("reporting:theme", {"slug": slug})
        for slug in Theme.objects.filter(instrument=instrument)
        .order_by("pk")
        .values_list("slug", flat=True)
    ]
    pages += [
        ("reporting:state", {"iso3": iso3})
        for iso3 in MemberState.objects.order_by("iso3").values_list("iso3", flat=True)
    ]
    paths = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            paths += [reverse(name, kwargs=kwargs) for name, kwargs in pages]
    return paths
