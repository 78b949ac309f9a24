"""Read queries shared by the pages, the API and the reports."""

from dataclasses import dataclass

from django.db.models import Prefetch

from recommendations.models import Instrument, MemberState, Recommendation, Theme


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
