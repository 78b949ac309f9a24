from django import forms
from django.utils.translation import gettext_lazy as _

from recommendations.models import ReportingCycle
from reporting.models import DEFAULT_ORGAN, REPORT_LANGUAGES, ReportRun
from reporting.services import RunHeader

MARKDOWN_HELP = _(
    "Markdown: # a heading, ## a subheading (both enter the contents and the PDF's "
    "bookmarks), **bold**, *italics*, lists, links, tables (| a | b | rows under a "
    "| --- | --- | line) and footnotes (a call [^1] in the text, and a line "
    "“[^1]: the note” below)."
)


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


def _max_length(name: str) -> int:
    return ReportRun._meta.get_field(name).max_length


class HemisphericRequestForm(ReportRequestForm):
    """The hemispheric report also takes the cover's OAS document block."""

    organ = forms.CharField(
        label=_("Organ"),
        max_length=_max_length("organ"),
        required=False,
        initial=DEFAULT_ORGAN,
        help_text=_("The cover's first line: the body the report is presented to."),
    )
    classification = forms.CharField(
        label=_("Classification"),
        max_length=_max_length("classification"),
        required=False,
        help_text=_("The OAS series, e.g. OEA/Ser.K/XXXIX.8."),
    )
    document_symbol = forms.CharField(
        label=_("Document symbol"),
        max_length=_max_length("document_symbol"),
        required=False,
        help_text=_("e.g. RTP-VIII/doc.3/26."),
    )
    issued_on = forms.DateField(
        label=_("Date of the document"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text=_("Printed under the symbol; as YYYY-MM-DD."),
    )
    original_language = forms.ChoiceField(
        label=_("Original language"),
        choices=REPORT_LANGUAGES,
        initial="en",
        required=False,
        help_text=_("The language the document was written in (English if left out)."),
    )

    def header(self) -> RunHeader:
        data = self.cleaned_data
        return RunHeader(
            organ=data["organ"].strip(),
            classification=data["classification"].strip(),
            document_symbol=data["document_symbol"].strip(),
            issued_on=data["issued_on"],
            original_language=data["original_language"] or "en",
        )


class ReportTextForm(forms.Form):
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Opens the report, before the executive summary. Needed to publish the "
            "report."
        ),
    )
    background = forms.CharField(
        label=_("Background and mandate"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "The resolutions and the meetings that asked for the report, after the "
            "executive summary."
        ),
    )
    conclusions = forms.CharField(
        label=_("Conclusions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Close the report, before the annexes. Needed to publish it."),
    )
    meeting_recommendations = forms.CharField(
        label=_("Recommendations to the meeting"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "What the Secretariat proposes to the meeting, after the conclusions."
        ),
    )

    def __init__(self, *args, language: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.help_text = f"{field.help_text} {MARKDOWN_HELP}"
            if language:
                field.widget.attrs["lang"] = language
