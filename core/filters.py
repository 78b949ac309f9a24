"""Strict query filters for the API's lists: a value of the wrong type, or a typed
filter given empty, is refused with 400 rather than ignored."""

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

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
