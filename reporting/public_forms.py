"""What a reader asks the public pages for: a filtered matrix or table, a search."""

from urllib.parse import urlencode

from django import forms
from django.utils.html import format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from reporting import opendata
from reporting.labels import category_labels
from reporting.selectors import CATEGORIES, StatusMatrix

SEARCH_MAX_LENGTH = 100
SEARCH_MIN_LENGTH = 2


class FilterSelect(forms.Select):
    """A select without option groups, its options written by its own template."""

    template_name = "reporting/widgets/select.html"


# The filters' field groups as written, by language, choices and values.
_FIELD_GROUPS: dict[tuple, str] = {}


class MatrixFilterForm(forms.Form):
    """Theme, status and state of the matrix, checked against the cycle's own."""

    theme = forms.ChoiceField(label=_("Theme"), required=False, widget=FilterSelect)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=FilterSelect)
    state = forms.ChoiceField(
        label=_("Member state"), required=False, widget=FilterSelect
    )

    unknown = {
        "theme": _("There is no theme “%(value)s”. Choose one from the list."),
        "status": _("There is no status “%(value)s”. Choose one from the list."),
        "state": _("There is no member state “%(value)s”. Choose one from the list."),
    }

    def __init__(self, *args, matrix: StatusMatrix, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and self.data.get("state"):
            # ISO3 codes are upper case; a link typed by hand may not be.
            self.data = self.data.copy()
            self.data["state"] = self.data["state"].upper()
        themes = {r.theme.slug: r.theme for r in self.recommendations(matrix)}
        self.fields["theme"].choices = [
            ("", _("All themes")),
            *[
                (slug, str(theme))
                for slug, theme in sorted(
                    themes.items(), key=lambda item: item[1].position
                )
            ],
        ]
        labels = category_labels()
        self.fields["status"].choices = [
            ("", _("All statuses")),
            *[(category, labels[category]) for category in CATEGORIES],
        ]
        self.fields["state"].choices = [
            ("", _("All states")),
            *[(s.iso3, s.name) for s in sorted(self.states(matrix), key=str)],
        ]
        for name, message in self.unknown.items():
            self.fields[name].error_messages["invalid_choice"] = message

    def field_groups(self) -> str:
        """Each field as its ``as_field_group``, one after another in a ``div``.

        Django writes a field group through three templates, a tenth of the
        dashboard; the groups depend only on the language, the choices (the
        catalogue's themes and states, which an accepted update does not change) and
        the values chosen, so those without errors are kept, a few dozen at most.
        """
        if self.is_bound and self.errors:
            return self._field_groups()
        key = (get_language(), *(self._state_of(name) for name in self.fields))
        written = _FIELD_GROUPS.get(key)
        if written is None:
            if len(_FIELD_GROUPS) >= 64:
                _FIELD_GROUPS.clear()
            written = _FIELD_GROUPS[key] = self._field_groups()
        return written

    def _state_of(self, name: str) -> tuple:
        """What a field's group shows: its value and its choices."""
        choices = (str(part) for pair in self.fields[name].choices for part in pair)
        return (name, self[name].value(), *choices)

    def _field_groups(self) -> str:
        return format_html_join(
            "", "<div>{}</div>", ((field.as_field_group(),) for field in self)
        )

    def recommendations(self, matrix: StatusMatrix):
        return matrix.state_recommendations

    def states(self, matrix: StatusMatrix):
        return matrix.participating

    def selected(self) -> dict[str, str | None]:
        """The filters chosen (None where all are); none at all when one is
        invalid."""
        if not self.is_valid():
            return {"theme": None, "status": None, "member_state": None}
        return {
            "theme": self.cleaned_data["theme"] or None,
            "status": self.cleaned_data["status"] or None,
            "member_state": self.cleaned_data["state"] or None,
        }

    def query(self, **more: str | None) -> str:
        """The valid filters (and ``more``) as a query string, for the downloads of
        the view."""
        chosen = self.cleaned_data if self.is_valid() else {}
        return urlencode({k: v for k, v in {**chosen, **more}.items() if v})

    def error_texts(self) -> list[str]:
        return [str(error) for errors in self.errors.values() for error in errors]


class DataFilterForm(MatrixFilterForm):
    """The filters of an open-data table: any state, theme or recommendation of the
    cycle's instrument, and a status."""

    recommendation = forms.TypedChoiceField(
        label=_("Recommendation"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, matrix: StatusMatrix, **kwargs):
        super().__init__(*args, matrix=matrix, **kwargs)
        field = self.fields["recommendation"]
        field.choices = [
            ("", _("All recommendations")),
            *[(str(r.number), str(r)) for r in matrix.recommendations],
        ]
        field.error_messages["invalid_choice"] = _(
            "There is no recommendation “%(value)s”. Choose one from the list."
        )

    def recommendations(self, matrix: StatusMatrix):
        return matrix.recommendations

    def states(self, matrix: StatusMatrix):
        # Every state has a row in the states table, participating or not.
        return matrix.states

    def filters(self) -> opendata.Filters:
        selected = self.selected()
        return opendata.Filters(
            member_state=selected["member_state"],
            recommendation=self.cleaned_data.get("recommendation"),
            theme=selected["theme"],
            status=selected["status"],
        )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search recommendations, states and published summaries"),
        min_length=SEARCH_MIN_LENGTH,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "required": _("Type a word or two to search for."),
            "min_length": _("Type at least %(limit_value)d characters to search for."),
            "max_length": _(
                "Search for at most %(limit_value)d characters (you typed "
                "%(show_value)d)."
            ),
        },
    )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())
