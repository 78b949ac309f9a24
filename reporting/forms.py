from django import forms
from django.utils.translation import gettext_lazy as _

from recommendations.models import ReportingCycle
from reporting.models import REPORT_LANGUAGES


class ReportRequestForm(forms.Form):
    """One click: the cycle is the page's, the language defaults to the page's."""

    cycle = forms.ModelChoiceField(
        queryset=ReportingCycle.objects.all(),
        to_field_name="slug",
        widget=forms.HiddenInput,
    )
    language = forms.ChoiceField(
        label=_("Language of the report"),
        choices=REPORT_LANGUAGES,
        widget=forms.RadioSelect,
    )


class ReportTextForm(forms.Form):
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Opens the report, before the executive summary. Markdown: **bold**, "
            "*italics*, lists, links; no headings."
        ),
    )
    conclusions = forms.CharField(
        label=_("Conclusions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Close the report, before the annexes. Markdown, as above."),
    )
