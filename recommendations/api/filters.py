"""Query filters of the API's lists. A value of the wrong type or naming nothing is
refused with 400, never ignored: a client that misspells a filter learns it."""

import django_filters

from core.filters import BooleanFilter, IntegerFilter, StrictFilterSet
from recommendations.models import (
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
    Status,
)


class MemberStateFilter(StrictFilterSet):
    participating = BooleanFilter(
        help_text="true: the states that take part in the OAS's work."
    )

    class Meta:
        model = MemberState
        fields = ["participating"]


class CycleFilter(StrictFilterSet):
    is_open = BooleanFilter(help_text="true: the cycle open for reporting.")

    class Meta:
        model = ReportingCycle
        fields = ["is_open"]


class RecommendationFilter(StrictFilterSet):
    theme = django_filters.CharFilter(
        field_name="theme__slug", help_text="The theme's slug."
    )
    addressee = django_filters.ChoiceFilter(choices=Recommendation.Addressee.choices)

    class Meta:
        model = Recommendation
        fields = ["theme", "addressee"]


class ProgressUpdateFilter(StrictFilterSet):
    cycle = django_filters.CharFilter(
        field_name="cycle__slug", help_text="The cycle's slug."
    )
    member_state = django_filters.CharFilter(
        method="filter_member_state",
        help_text=(
            "ISO 3166 alpha-3 code, or `secretariat` for the Secretariat's own updates."
        ),
    )
    recommendation = IntegerFilter(
        field_name="recommendation__number",
        help_text="The recommendation's number.",
    )
    theme = django_filters.CharFilter(
        field_name="recommendation__theme__slug", help_text="The theme's slug."
    )
    status = django_filters.ChoiceFilter(choices=Status.choices)
    review_state = django_filters.ChoiceFilter(choices=ReviewState.choices)

    class Meta:
        model = ProgressUpdate
        fields = [
            "cycle",
            "member_state",
            "recommendation",
            "theme",
            "status",
            "review_state",
        ]

    def filter_member_state(self, queryset, name, value: str):
        if value.lower() == "secretariat":
            return queryset.filter(member_state__isnull=True)
        return queryset.filter(member_state__iso3=value.upper())
