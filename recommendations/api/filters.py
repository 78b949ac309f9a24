"""Query filters of the API's lists. A value of the wrong type or naming nothing is
refused with 400, never ignored: a client that misspells a filter learns it."""

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from recommendations.models import (
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
    Status,
)

_INTEGER = re.compile(r"-?[0-9]+")


class StrictIntegerFormField(forms.IntegerField):
    """Digits only: Django's own would take "3.0" (or "3.5" through a decimal)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not _INTEGER.fullmatch(str(value)):
            raise forms.ValidationError(_("Enter a whole number."), code="invalid")
        return super().to_python(value)


class StrictBooleanFormField(forms.Field):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(_("Enter true or false."), code="invalid")


class StrictFilterSet(django_filters.FilterSet):
    """A typed filter given with no value (``?status=``) is refused; an empty text
    filter (``?theme=``) filters nothing."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter):
                continue
            if name in self.data and self.data.get(name) == "":
                self.form.add_error(name, _("Give a value, or leave the filter out."))
                valid = False
        return valid


class IntegerFilter(django_filters.NumberFilter):
    field_class = StrictIntegerFormField


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanFormField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


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
