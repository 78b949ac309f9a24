"""The shapes of the API's catalogue and progress updates.

Serializers check the shape of a request and turn it into what the services take
(``UpdateContent``); every rule of the workflow stays in ``recommendations.services``.
"""

import functools
from dataclasses import asdict
from datetime import datetime

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.reverse import reverse

from core.api import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictURLField,
)
from core.links import link_for_each
from recommendations import services
from recommendations.models import (
    AssistanceNeed,
    Evidence,
    Footnote,
    Instrument,
    Measure,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
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
from recommendations.translations.texts import (
    MISSING,
    SOURCE,
    Standing,
    entry,
    translate,
)

# The limits of the page's form, so that the API and the pages accept the same.
MAX_MEASURES = 30
MAX_NEEDS = 10

# --- Catalogue --------------------------------------------------------------------
# Each translated text comes three ways: ``title`` in the language asked for (``?lang=``
# or Accept-Language), ``title_translation`` saying what that text is (its language
# and standing: a working translation is not authoritative), and ``title_en``, the
# English text as adopted, which is.

STANDINGS = [
    (SOURCE, "The English text as adopted."),
    (Standing.OFFICIAL, "An official translation, from the document in `reference`."),
    (
        Standing.WORKING,
        "A working translation: the English text (`<field>_en`) is authoritative.",
    ),
    (MISSING, "Not translated yet: the English text stands in."),
]


class TranslationSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, help_text="The language of the text given."
    )
    standing = serializers.ChoiceField(
        choices=[code for code, _meaning in STANDINGS],
        help_text=" ".join(f"`{code}`: {meaning}" for code, meaning in STANDINGS),
    )
    reference = serializers.CharField(
        help_text="The symbol of the official document; empty otherwise."
    )


class TranslatedTextField(serializers.CharField):
    """A catalogue text in the language of the request."""

    def __init__(self, field: str, resolve=None, **kwargs):
        self.text_field = field
        self.resolve = resolve or (lambda obj: obj)
        kwargs.setdefault(
            "help_text",
            "In the language asked for; see its standing beside it (`_translation`).",
        )
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj) -> str:
        return translate(self.resolve(obj), self.text_field).text


@extend_schema_field(TranslationSerializer)
class TranslationField(serializers.Field):
    """What the text beside it is: its language and standing."""

    def __init__(self, field: str, resolve=None, **kwargs):
        self.text_field = field
        self.resolve = resolve or (lambda obj: obj)
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj) -> dict:
        found = translate(self.resolve(obj), self.text_field)
        return {
            "language": found.language,
            "standing": found.standing,
            "reference": found.reference,
        }


class StoredTranslationField(serializers.CharField):
    """v1's ``title_es`` and the like, kept for its clients: the stored translation
    into one language, whatever its standing; empty when there is none."""

    def __init__(self, field: str, language: str, **kwargs):
        self.text_field = field
        self.language = language
        kwargs.setdefault(
            "help_text",
            f"Kept for v1's clients: the translation into `{language}`, whatever its "
            f"standing, or empty. Prefer `?lang={language}`, which gives the standing "
            "too.",
        )
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj) -> str:
        found = entry(obj, self.text_field, self.language)
        return found["text"] if found else ""


def english(field: str, source: str | None = None) -> serializers.CharField:
    return serializers.CharField(
        source=source or field,
        read_only=True,
        help_text="The English text as adopted: the authoritative one.",
    )


class ThemeSerializer(serializers.ModelSerializer):
    instrument = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    title = TranslatedTextField("title")
    title_translation = TranslationField("title")
    title_en = english("title")
    title_es = StoredTranslationField("title", "es")
    title_fr = StoredTranslationField("title", "fr")
    title_pt = StoredTranslationField("title", "pt")
    recommendations = serializers.SerializerMethodField(
        help_text="The numbers of the theme's recommendations."
    )

    class Meta:
        model = Theme
        fields = [
            "slug",
            "position",
            "title",
            "title_translation",
            "title_en",
            "title_es",
            "title_fr",
            "title_pt",
            "instrument",
            "recommendations",
        ]

    def get_recommendations(self, theme: Theme) -> list[int]:
        return [r.number for r in theme.recommendations.all()]


def _repeated(footnote: Footnote) -> Footnote:
    """An "Idem" footnote reads as the footnote it repeats."""
    return footnote.repeats if footnote.repeats_id else footnote


class FootnoteSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = TranslatedTextField(
        "text",
        resolve=_repeated,
        help_text=(
            'In the language asked for; an "Idem" footnote gives the text it repeats.'
        ),
    )
    text_translation = TranslationField("text", resolve=_repeated)
    text_en = english("text", source="resolved_text")


class RecommendationSerializer(serializers.ModelSerializer):
    instrument = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    theme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    short_title = TranslatedTextField(
        "short_title",
        help_text=(
            "A few words naming the recommendation, in the language asked for; "
            "see its standing beside it (`_translation`)."
        ),
    )
    short_title_translation = TranslationField("short_title")
    short_title_en = english("short_title")
    text = TranslatedTextField("text")
    text_translation = TranslationField("text")
    text_en = english("text")
    text_es = StoredTranslationField("text", "es")
    text_fr = StoredTranslationField("text", "fr")
    text_pt = StoredTranslationField("text", "pt")
    footnotes = FootnoteSerializer(many=True, read_only=True)

    class Meta:
        model = Recommendation
        fields = [
            "number",
            "instrument",
            "theme",
            "short_title",
            "short_title_translation",
            "short_title_en",
            "text",
            "text_translation",
            "text_en",
            "text_es",
            "text_fr",
            "text_pt",
            "source_paragraph",
            "based_on",
            "addressee",
            "footnotes",
        ]


class InstrumentSerializer(serializers.ModelSerializer):
    title = TranslatedTextField("title", help_text="The title as printed.")
    title_translation = TranslationField("title")
    title_en = english("title")
    short_title = TranslatedTextField("short_title")
    short_title_translation = TranslationField("short_title")
    short_title_en = english("short_title")
    agreed_by = TranslatedTextField("agreed_by")
    agreed_by_translation = TranslationField("agreed_by")
    agreed_by_en = english("agreed_by")
    meeting = TranslatedTextField("meeting")
    meeting_translation = TranslationField("meeting")
    meeting_en = english("meeting")
    meeting_place = TranslatedTextField("meeting_place")
    meeting_place_translation = TranslationField("meeting_place")
    meeting_place_en = english("meeting_place")
    reports_to = TranslatedTextField(
        "reports_to",
        help_text="The meeting by which states are to implement the recommendations.",
    )
    reports_to_translation = TranslationField("reports_to")
    reports_to_en = english("reports_to")
    preamble = TranslatedTextField("preamble")
    preamble_translation = TranslationField("preamble")
    preamble_en = english("preamble")
    footnotes = serializers.SerializerMethodField(
        help_text="The footnotes on the document's title."
    )

    class Meta:
        model = Instrument
        fields = [
            "slug",
            "is_current",
            "is_draft",
            "document_symbol",
            "title",
            "title_translation",
            "title_en",
            "short_title",
            "short_title_translation",
            "short_title_en",
            "agreed_by",
            "agreed_by_translation",
            "agreed_by_en",
            "agreed_on",
            "meeting",
            "meeting_translation",
            "meeting_en",
            "meeting_place",
            "meeting_place_translation",
            "meeting_place_en",
            "meeting_start",
            "meeting_end",
            "reports_to",
            "reports_to_translation",
            "reports_to_en",
            "preamble",
            "preamble_translation",
            "preamble_en",
            "footnotes",
        ]

    @extend_schema_field(FootnoteSerializer(many=True))
    def get_footnotes(self, instrument: Instrument) -> list[dict]:
        on_title = [note for note in instrument.footnotes.all() if note.on_title]
        return FootnoteSerializer(on_title, many=True).data


class MemberStateSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        read_only=True,
        help_text="In the language asked for (CLDR's name, as in the other four).",
    )

    class Meta:
        model = MemberState
        fields = [
            "iso3",
            "iso2",
            "name",
            "name_en",
            "name_es",
            "name_fr",
            "name_pt",
            "participating",
            "participation_note",
        ]


class CycleSerializer(serializers.ModelSerializer):
    instrument = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = TranslatedTextField("name")
    name_translation = TranslationField("name")
    name_en = english("name")
    meeting = TranslatedTextField(
        "meeting", help_text="The meeting it reports to, in the language asked for."
    )
    meeting_translation = TranslationField("meeting")
    meeting_en = english("meeting")

    class Meta:
        model = ReportingCycle
        fields = [
            "slug",
            "name",
            "name_translation",
            "name_en",
            "instrument",
            "meeting",
            "meeting_translation",
            "meeting_en",
            "period_start",
            "period_end",
            "deadline",
            "time_zone",
            "is_open",
            "opened_at",
            "closed_at",
        ]


# --- Progress updates: what the API shows -----------------------------------------


class MeasureSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Measure.Kind.choices)
    title = StrictCharField(max_length=300)
    date = serializers.DateField(required=False, allow_null=True, default=None)
    link = StrictURLField(max_length=500, required=False, allow_blank=True, default="")


class NeedSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssistanceNeed.Kind.choices)
    description = StrictCharField(
        max_length=NEED_MAX_CHARS, required=False, allow_blank=True, default=""
    )


class EvidenceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    download = serializers.SerializerMethodField(
        help_text="Where to download the file (with the same credentials)."
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "download",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, evidence: Evidence) -> str:
        return reverse(
            "v1:progress-update-evidence-file",
            kwargs={"pk": evidence.update_id, "evidence_id": evidence.pk},
            request=self.context.get("request"),
        )


class ProgressUpdateActionsSerializer(serializers.Serializer):
    """What you may do with the update now: each is true exactly when the action
    would be accepted from you (given valid content), as the update's page shows."""

    read_in_full = serializers.BooleanField(
        help_text="Read its draft text, confidential narrative and evidence."
    )
    edit = serializers.BooleanField(
        help_text="PUT or PATCH it, and attach or remove evidence."
    )
    submit = serializers.BooleanField(help_text="POST submit/.")
    withdraw = serializers.BooleanField(help_text="POST withdraw/.")
    delete = serializers.BooleanField(help_text="DELETE it.")
    review = serializers.BooleanField(help_text="POST accept/ or return/.")


def _moment(value: datetime | None) -> str | None:
    """A moment as DRF's DateTimeField writes it: ISO 8601 in the current time zone,
    UTC as "Z"."""
    if value is None:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _link(context: dict, name: str, **kwargs: int) -> str:
    """``reverse(name, kwargs, request)``, reversed once a list: the context is
    shared by its rows."""
    links = context.setdefault("_links", {})
    if name not in links:
        links[name] = link_for_each(
            name,
            reverse=functools.partial(reverse, request=context.get("request")),
            **dict.fromkeys(kwargs, ...),
        )
    return links[name](*kwargs.values())


class ProgressUpdateSerializer(serializers.ModelSerializer):
    """An update as the API shows it: in full to those who may read it in full; of an
    accepted (published) update, everyone else sees the public parts and null for the
    rest. ``version`` is what a PUT or PATCH must send back."""

    cycle = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    member_state = serializers.SlugRelatedField(
        slug_field="iso3",
        read_only=True,
        allow_null=True,
        help_text="ISO 3166 alpha-3 code; null for the Secretariat's own updates.",
    )
    recommendation = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        help_text="The recommendation's number in the cycle's instrument.",
    )
    status = serializers.ChoiceField(
        choices=Status.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty on a draft that has none yet.",
    )
    narrative = serializers.CharField(
        allow_null=True,
        help_text=(
            "Markdown. Null when you may not read it: a confidential narrative is "
            "only for the state and the Secretariat."
        ),
    )
    challenges = serializers.CharField(allow_null=True)
    # The lists ProgressUpdateViewSet.get_queryset prefetches.
    measures = MeasureSerializer(many=True, source="listed_measures")
    assistance_needs = NeedSerializer(many=True, source="listed_needs")
    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    on_behalf_reference = serializers.CharField(allow_null=True)
    supersedes = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    evidence = EvidenceSerializer(many=True, allow_null=True, source="listed_evidence")
    review_comment = serializers.SerializerMethodField(
        help_text="The Secretariat's comment, while the update is returned."
    )
    url = serializers.HyperlinkedIdentityField(
        view_name="v1:progress-update-detail", read_only=True
    )
    actions = serializers.SerializerMethodField(
        help_text="What you may do with the update now (all false for the public)."
    )

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "url",
            "cycle",
            "member_state",
            "recommendation",
            "status",
            "summary",
            "narrative",
            "narrative_language",
            "narrative_visibility",
            "challenges",
            "measures",
            "assistance_needs",
            "review_state",
            "review_comment",
            "version",
            "on_behalf",
            "on_behalf_reference",
            "author",
            "supersedes",
            "evidence",
            "created_at",
            "updated_at",
            "submitted_at",
            "reviewed_at",
            "actions",
        ]
        read_only_fields = fields

    def to_representation(self, update: ProgressUpdate) -> dict:
        """What the fields above declare, written out: DRF's field by field way
        (``ModelSerializer.to_representation``) took most of a list's time, some
        25 fields and three nested lists a row. The fields stay for the schema;
        tests/recommendations/api/test_representation.py holds the two equal.

        The author, on-behalf reference, evidence and review comment only for those
        who may read the update in full, null for everyone else; the narrative and
        challenges also when the narrative is public (the rest see accepted updates
        only: ``permissions.updates_visible_to``)."""
        in_full = self.context["rights"].may_read(update)
        narrative_shown = in_full or update.narrative_is_public
        member_state = update.member_state
        author = update.author
        return {
            "id": update.pk,
            "url": _link(self.context, "v1:progress-update-detail", pk=update.pk),
            "cycle": update.cycle.slug,
            "member_state": member_state.iso3 if member_state else None,
            "recommendation": update.recommendation.number,
            "status": update.status,
            "summary": update.summary,
            "narrative": update.narrative if narrative_shown else None,
            "narrative_language": update.narrative_language,
            "narrative_visibility": update.narrative_visibility,
            "challenges": update.challenges if narrative_shown else None,
            "measures": [
                {
                    "kind": measure.kind,
                    "title": measure.title,
                    "date": measure.date.isoformat() if measure.date else None,
                    "link": measure.link,
                }
                for measure in update.listed_measures  # type: ignore[attr-defined]  # Prefetch's to_attr
            ],
            "assistance_needs": [
                {"kind": need.kind, "description": need.description}
                for need in update.listed_needs  # type: ignore[attr-defined]  # Prefetch's to_attr
            ],
            "review_state": update.review_state,
            "review_comment": self.get_review_comment(update) if in_full else None,
            "version": update.version,
            "on_behalf": update.on_behalf,
            "on_behalf_reference": update.on_behalf_reference if in_full else None,
            "author": author.username if in_full and author else None,
            "supersedes": update.supersedes_id,
            "evidence": [
                {
                    "id": evidence.pk,
                    "name": evidence.original_name,
                    "content_type": evidence.content_type,
                    "size": evidence.size,
                    "sha256": evidence.sha256,
                    "uploaded_at": _moment(evidence.uploaded_at),
                    "download": _link(
                        self.context,
                        "v1:progress-update-evidence-file",
                        pk=update.pk,
                        evidence_id=evidence.pk,
                    ),
                }
                for evidence in update.listed_evidence  # type: ignore[attr-defined]  # Prefetch's to_attr
            ]
            if in_full
            else None,
            "created_at": _moment(update.created_at),
            "updated_at": _moment(update.updated_at),
            "submitted_at": _moment(update.submitted_at),
            "reviewed_at": _moment(update.reviewed_at),
            "actions": self.get_actions(update),
        }

    @extend_schema_field(ProgressUpdateActionsSerializer)
    def get_actions(self, update: ProgressUpdate) -> dict:
        return asdict(self.context["rights"].actions(update))

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="The reviewer's comment.")
    )
    def get_review_comment(self, update: ProgressUpdate) -> str | None:
        if update.review_state != ReviewState.RETURNED:
            return None
        returns = update.listed_returns  # returns only, oldest first
        return returns[-1].comment if returns else None


# --- Progress updates: what the API takes -----------------------------------------


class UpdateContentSerializer(serializers.Serializer):
    """What a person writes in an update, as in the page's form."""

    # A draft may leave them empty; submitting asks for both.
    status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed to submit; a draft may be saved without it.",
    )
    summary = StrictCharField(
        max_length=400,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Two or three sentences, published once the update is accepted. "
            "Needed to submit."
        ),
    )
    narrative = StrictCharField(
        max_length=NARRATIVE_MAX_CHARS,
        required=False,
        allow_blank=True,
        default="",
        help_text="Markdown. Never a detail that could identify a victim.",
    )
    narrative_language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, default="en"
    )
    narrative_visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        default=Visibility.CONFIDENTIAL,
        help_text=(
            "public: published with the update once accepted; confidential (the "
            "default): only the state and the Secretariat read it."
        ),
    )
    challenges = StrictCharField(
        max_length=CHALLENGES_MAX_CHARS, required=False, allow_blank=True, default=""
    )
    on_behalf_reference = StrictCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Required when the Secretariat files for a state: the note verbale's "
            "number and date."
        ),
    )
    measures = MeasureSerializer(
        many=True, required=False, default=list, max_length=MAX_MEASURES
    )
    assistance_needs = NeedSerializer(
        many=True, required=False, default=list, max_length=MAX_NEEDS
    )

    def content(self) -> UpdateContent:
        return content_from(self.validated_data)


def content_from(data: dict) -> UpdateContent:
    return UpdateContent(
        status=data["status"],
        summary=data["summary"],
        narrative=data["narrative"],
        narrative_language=data["narrative_language"],
        narrative_visibility=data["narrative_visibility"],
        challenges=data["challenges"],
        on_behalf_reference=data["on_behalf_reference"],
        measures=[MeasureData(**m) for m in data["measures"]],
        assistance_needs=[NeedData(**n) for n in data["assistance_needs"]],
    )


def content_data(update: ProgressUpdate) -> dict:
    """An update's content in the serializer's terms, to merge a PATCH into."""
    return asdict(services.content_of(update))


class ProgressUpdateCreateSerializer(UpdateContentSerializer):
    member_state = StrictCharField(
        allow_null=True,
        max_length=3,
        help_text=(
            "ISO 3166 alpha-3 code of the state; null for a recommendation addressed "
            "to the Secretariat."
        ),
    )
    recommendation = StrictIntegerField(
        min_value=1,
        max_value=32767,
        help_text="Its number in the open cycle's instrument.",
    )

    def validate_member_state(self, value: str | None) -> MemberState | None:
        if value is None:
            return None
        state = MemberState.objects.filter(iso3=value.upper()).first()
        if state is None:
            raise serializers.ValidationError(_("No member state has this code."))
        return state


class VersionMixin(serializers.Serializer):
    version = StrictIntegerField(
        min_value=1,
        help_text=(
            "The version you read. If someone saved the update since, nothing is "
            "saved and the answer is 409 with what changed."
        ),
    )


class ProgressUpdateEditSerializer(VersionMixin, UpdateContentSerializer):
    """PUT: the whole content, and the version it replaces."""


class ProgressUpdatePatchSerializer(VersionMixin, UpdateContentSerializer):
    """PATCH: the fields to change, and the version they change."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "version":
                field.required = False
                field.default = empty

    # Never partial in DRF's sense: "version" stays required. (DRF, and the schema
    # generator for PATCH bodies, set ``partial``; each field says what it needs.)
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass


class SubmitSerializer(serializers.Serializer):
    version = StrictIntegerField(
        min_value=1,
        required=False,
        help_text="The version you read; if sent, a newer one gives 409.",
    )


class EmptySerializer(serializers.Serializer):
    pass


ChecklistSerializer = type(
    "ChecklistSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The reviewer's checklist: accepting needs every item confirmed.",
        **{
            key: StrictBooleanField(help_text=label)
            for key, label in REVIEW_CHECKLIST.items()
        },
    },
)


class AcceptSerializer(serializers.Serializer):
    checklist = ChecklistSerializer(
        help_text=(
            "Every item must be true to accept, as on the review page; "
            "a false one gives 400."
        )
    )


class ReturnSerializer(serializers.Serializer):
    # The pattern tells clients what trimming enforces: a comment of spaces alone
    # (no-break spaces included) is blank.
    comment = StrictCharField(
        help_text="What the state should change.",
        validators=[RegexValidator(r"\S")],
    )
    checklist = ChecklistSerializer(
        required=False, help_text="Optional: the items you checked."
    )


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=(
            "PDF, image, office document or text; checked by its content, not its name."
        )
    )
