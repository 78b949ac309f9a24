from dataclasses import asdict
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from recommendations import services
from recommendations.evidence import allowed_extensions, file_size
from recommendations.good_practices import EXCERPT_MAX_CHARS
from recommendations.models import (
    STATUS_DEFINITIONS,
    AssistanceNeed,
    Measure,
    MemberState,
    Recommendation,
    Status,
    Theme,
    Visibility,
)
from recommendations.services import (
    REVIEW_CHECKLIST,
    MeasureData,
    NeedData,
    UpdateContent,
)
from recommendations.text_lengths import (
    CHALLENGES_MAX_CHARS,
    NARRATIVE_MAX_CHARS,
    NEED_MAX_CHARS,
)


def _status_choices():
    # Each level with its definition beside it, so the scale reads the same for all.
    return [
        (
            value,
            format_html(
                '{} <span class="choice-help">{}</span>',
                label,
                STATUS_DEFINITIONS[value],
            ),
        )
        for value, label in Status.choices
    ]


def up_to(count: int):
    """The length limit in the help text, so the form says what it refuses."""
    return ngettext_lazy(
        "Up to %(count)s character.", "Up to %(count)s characters.", "count"
    ) % {"count": count}


class ProgressUpdateForm(forms.Form):
    # A draft saves with whatever is filled in; submitting asks for these two.
    status = forms.ChoiceField(
        label=_("Status"),
        widget=forms.RadioSelect,
        choices=_status_choices,
        required=False,
        help_text=_("Needed to submit; a draft can be saved without it."),
    )
    summary = forms.CharField(
        label=_("Public summary"),
        required=False,
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Two or three sentences. Published once the Secretariat accepts the update."
        ),
    )
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=NARRATIVE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=format_lazy(
            "{} {}",
            _(
                "What was done, by whom, with what result. "
                "You can use Markdown: **bold**, lists, links."
            ),
            up_to(NARRATIVE_MAX_CHARS),
        ),
    )
    narrative_language = forms.ChoiceField(
        label=_("Language of the narrative"), choices=settings.LANGUAGES
    )
    narrative_visibility = forms.ChoiceField(
        label=_("Who may read the narrative"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "The status and the summary are public once accepted; "
            "the narrative only if you choose so."
        ),
    )
    challenges = forms.CharField(
        label=_("Challenges"),
        required=False,
        max_length=CHALLENGES_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=up_to(CHALLENGES_MAX_CHARS),
    )
    on_behalf_reference = forms.CharField(
        label=_("Reference of the state's communication"),
        max_length=200,
        required=False,
        help_text=_(
            "For example the number and date of the note verbale this update records."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    evidence = forms.FileField(label=_("Attach an evidence file"), required=False)

    def __init__(self, *args, on_behalf: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = EvidenceForm.base_fields["file"].help_text
        if on_behalf:
            self.fields["on_behalf_reference"].required = True
        else:
            del self.fields["on_behalf_reference"]

    def to_content(self, measures, needs) -> UpdateContent:
        data = self.cleaned_data
        return UpdateContent(
            status=data["status"],
            summary=data["summary"],
            narrative=data["narrative"],
            narrative_language=data["narrative_language"],
            narrative_visibility=data["narrative_visibility"],
            challenges=data["challenges"],
            on_behalf_reference=data.get("on_behalf_reference", ""),
            measures=[MeasureData(**form) for form in measures],
            assistance_needs=[NeedData(**form) for form in needs],
        )


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", "—"), *Measure.Kind.choices], required=False
    )
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    date = forms.DateField(
        label=_("Date"),
        required=False,
        # A date input's value is ISO in every language, never the localized date.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    link = forms.URLField(
        label=_("Link"), max_length=500, required=False, assume_scheme="https"
    )

    def clean(self):
        data = super().clean()
        if data.get("title") and not data.get("kind"):
            self.add_error("kind", _("Choose the type of measure."))
        if data.get("kind") and not data.get("title"):
            self.add_error("title", _("Give the measure a title."))
        return data


class NeedForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[("", "—"), *AssistanceNeed.Kind.choices],
        required=False,
    )
    description = forms.CharField(
        label=_("What is needed"),
        required=False,
        max_length=NEED_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=up_to(NEED_MAX_CHARS),
    )

    def clean(self):
        data = super().clean()
        if data.get("description") and not data.get("kind"):
            self.add_error("kind", _("Choose the type of assistance."))
        return data


MeasureFormSet = forms.formset_factory(
    MeasureForm, extra=2, max_num=30, validate_max=True
)
NeedFormSet = forms.formset_factory(NeedForm, extra=1, max_num=10, validate_max=True)


def filled(formset) -> list[dict]:
    """The rows of a formset that were filled in, without the empty spare rows."""
    return [
        form.cleaned_data for form in formset.forms if form.cleaned_data.get("kind")
    ]


def initial_from(update) -> tuple[dict, list[dict], list[dict]]:
    """Initial data for the form and its two formsets from an existing update."""
    content = asdict(services.content_of(update))
    measures = content.pop("measures")
    needs = content.pop("assistance_needs")
    return {**content, "version": update.version}, measures, needs


def _evidence_help_text() -> str:
    return gettext(
        "PDF, image, office document or text, up to %(size)s. Accepted: %(types)s."
    ) % {
        "size": file_size(settings.EVIDENCE_MAX_BYTES),
        "types": allowed_extensions(),
    }


class EvidenceForm(forms.Form):
    # Lazy: written in the reader's language, with the limit as configured then.
    file = forms.FileField(
        label=_("Evidence file"), help_text=lazy(_evidence_help_text, str)()
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("accept", _("Accept and publish")),
            ("return", _("Return to the state")),
        ],
    )
    comment = forms.CharField(
        label=_("Comment to the state"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when you return the update: say what to change."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in REVIEW_CHECKLIST.items():
            self.fields[f"check_{key}"] = forms.BooleanField(
                label=label, required=False
            )

    def checklist(self) -> dict[str, bool]:
        return {
            key: bool(self.cleaned_data.get(f"check_{key}")) for key in REVIEW_CHECKLIST
        }

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say what the state should change."))
        return data


AGE_CHOICES = [
    ("", _("Any age")),
    ("7", _("Waiting 7 days or more")),
    ("14", _("Waiting 14 days or more")),
    ("30", _("Waiting 30 days or more")),
]


class QueueFilterForm(forms.Form):
    state = forms.ModelChoiceField(
        label=_("Member state"),
        queryset=MemberState.objects.all(),
        to_field_name="iso3",
        required=False,
        empty_label=_("All states"),
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.none(),
        required=False,
        empty_label=_("All themes"),
    )
    recommendation = forms.ModelChoiceField(
        label=_("Recommendation"),
        queryset=Recommendation.objects.none(),
        to_field_name="number",
        required=False,
        empty_label=_("All recommendations"),
    )
    age = forms.ChoiceField(label=_("Waiting"), choices=AGE_CHOICES, required=False)

    def __init__(self, *args, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = instrument.themes.all()
        self.fields["recommendation"].queryset = instrument.recommendations.all()


class CycleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(label=_("Short name in addresses"), max_length=80)
    meeting = forms.CharField(label=_("Reports to"), max_length=200)
    period_start = forms.DateField(
        label=_("Period start"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    period_end = forms.DateField(
        label=_("Period end"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    deadline = forms.DateTimeField(
        label=_("Submission deadline"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        help_text=_("In the time zone below."),
    )
    time_zone = forms.CharField(
        label=_("Time zone of the deadline"), max_length=64, initial="America/New_York"
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period must end after it starts."))
        zone = data.get("time_zone")
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                self.add_error(
                    "time_zone", _("Use a time zone name such as America/New_York.")
                )
            else:
                if data.get("deadline"):
                    data["deadline"] = in_zone(data["deadline"], zone)
        return data


class ExtensionForm(forms.Form):
    member_state = forms.ModelChoiceField(
        label=_("Member state"),
        queryset=MemberState.objects.all(),
        to_field_name="iso3",
    )
    deadline = forms.DateTimeField(
        label=_("New deadline"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        help_text=_("In the cycle's time zone."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, time_zone: str, **kwargs):
        # On the cycle page beside the cycle's own deadline field: ids must differ.
        kwargs.setdefault("auto_id", "id_extension_%s")
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def clean_deadline(self):
        return in_zone(self.cleaned_data["deadline"], self.time_zone)


def in_zone(moment: datetime, zone: str) -> datetime:
    """The wall-clock time a person typed, read in ``zone`` rather than the server's."""
    naive = timezone.make_naive(moment, timezone.get_current_timezone())
    return naive.replace(tzinfo=ZoneInfo(zone))


def wall_clock(moment: datetime, zone: str) -> datetime:
    """A stored moment as the naive wall-clock time of ``zone``, to fill a form."""
    return timezone.localtime(moment, ZoneInfo(zone)).replace(tzinfo=None)


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's validation error on the field it names, or on the whole form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class GoodPracticeForm(forms.Form):
    """A reviewer's pick of a good practice: the excerpt is checked by
    ``good_practices.good_practice_mark``, with its own messages."""

    excerpt = forms.CharField(
        label=_("Excerpt for the report"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    expected_version = forms.IntegerField(
        min_value=0, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        excerpt = self.fields["excerpt"]
        excerpt.widget.attrs["maxlength"] = EXCERPT_MAX_CHARS
        excerpt.help_text = _(
            "At most %(limit)s characters, quoted in the report as written, in the "
            "language of the narrative. The public summary is suggested; you may "
            "quote a passage of the narrative instead."
        ) % {"limit": EXCERPT_MAX_CHARS}


class FollowUpReminderForm(forms.Form):
    """The states to remind now, chosen on the coverage page by their codes."""

    states = forms.ModelMultipleChoiceField(
        label=_("States to remind"),
        queryset=MemberState.objects.filter(participating=True),
        to_field_name="iso3",
        error_messages={
            "required": _("Choose at least one state to remind."),
            "invalid_choice": _("%(value)s is not a participating member state."),
        },
    )
