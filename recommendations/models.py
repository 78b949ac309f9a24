import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Self
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, models
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from recommendations.translations.texts import FIELDS, Translatable, Translation

if TYPE_CHECKING:
    from accounts.models import AnyUser


class InstrumentQuerySet(models.QuerySet["Instrument"]):
    def current(self) -> "Instrument":
        return self.get(is_current=True)


class Instrument(Translatable):
    """A document of recommendations adopted by a Meeting of National Authorities."""

    TRANSLATED_FIELDS = FIELDS["instrument"]

    slug = models.SlugField(unique=True)
    title = models.TextField(_("title as printed"))
    short_title = models.CharField(_("short title"), max_length=200)
    is_draft = models.BooleanField(_("draft"), default=True)
    document_symbol = models.CharField(_("document symbol"), max_length=100, blank=True)
    agreed_by = models.CharField(_("agreed upon by"), max_length=200)
    agreed_on = models.DateField(_("agreed upon on (as printed)"))
    meeting = models.CharField(_("meeting"), max_length=200)
    meeting_place = models.CharField(_("meeting place"), max_length=200)
    meeting_start = models.DateField(_("meeting start"))
    meeting_end = models.DateField(_("meeting end"))
    reports_to = models.CharField(
        _("implementation reported to"),
        max_length=200,
        help_text=_(
            "The meeting by which states are to implement the recommendations."
        ),
    )
    preamble = models.TextField(_("preamble"), blank=True)
    source_file = models.CharField(
        _("source document"),
        max_length=200,
        blank=True,
        help_text=_("Path of the source text under fixtures/."),
    )
    is_current = models.BooleanField(
        _("current"),
        default=False,
        help_text=_("The instrument whose recommendations the portal tracks now."),
    )

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["-meeting_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="one_current_instrument",
            )
        ]

    def __str__(self) -> str:
        return str(self.translated.short_title)

    def get_absolute_url(self) -> str:
        return reverse("recommendations:catalogue")


class Footnote(Translatable):
    TRANSLATED_FIELDS = FIELDS["footnote"]

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="footnotes"
    )
    number = models.PositiveSmallIntegerField(_("number as printed"))
    text = models.TextField(_("text as printed"))
    repeats = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("repeats footnote"),
        help_text=_('For "Idem" footnotes: the footnote whose text they repeat.'),
    )
    on_title = models.BooleanField(_("attached to the title"), default=False)

    class Meta:
        verbose_name = _("footnote")
        verbose_name_plural = _("footnotes")
        ordering = ["instrument", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "number"], name="unique_footnote_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"

    @property
    def resolved_text(self) -> str:
        """The text a reader needs: an "Idem" footnote shows the text it repeats."""
        return self.repeats.text if self.repeats_id else self.text  # type: ignore[union-attr]  # set with repeats_id

    @property
    def resolved_translation(self) -> Translation:
        return (self.repeats if self.repeats_id else self).translated.text  # type: ignore[union-attr]  # set with repeats_id


class Theme(Translatable):
    TRANSLATED_FIELDS = FIELDS["theme"]

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="themes"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    slug = models.SlugField(max_length=100)
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["instrument", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "position"], name="unique_theme_position"
            ),
            models.UniqueConstraint(
                fields=["instrument", "slug"], name="unique_theme_slug"
            ),
        ]

    def __str__(self) -> str:
        return str(self.translated.title)


class Recommendation(Translatable):
    TRANSLATED_FIELDS = FIELDS["recommendation"]

    class Addressee(models.TextChoices):
        MEMBER_STATES = "member_states", _("Member states")
        SECRETARIAT = "secretariat", _("The Secretariat")

    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="recommendations"
    )
    number = models.PositiveSmallIntegerField(
        _("number"), help_text=_("Numbered through the whole document, from 1.")
    )
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, related_name="recommendations"
    )
    short_title = models.CharField(
        _("short title"),
        max_length=40,
        blank=True,
        help_text=_(
            "A few words that name the recommendation wherever its number stands "
            "alone: cards, charts, the matrix."
        ),
    )
    text = models.TextField(_("text"))
    source_paragraph = models.PositiveSmallIntegerField(
        _("paragraph of the Third Work Plan's guidelines"), null=True, blank=True
    )
    based_on = models.BooleanField(
        _("based on the paragraph"),
        default=False,
        help_text=_('The text is "based on" the paragraph rather than taken from it.'),
    )
    addressee = models.CharField(
        _("addressed to"),
        max_length=20,
        choices=Addressee,
        default=Addressee.MEMBER_STATES,
    )
    footnotes = models.ManyToManyField(
        Footnote, blank=True, related_name="recommendations"
    )

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["instrument", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "number"], name="unique_recommendation_number"
            )
        ]

    def __str__(self) -> str:
        return _("Recommendation %(number)s") % {"number": self.number}

    def get_absolute_url(self) -> str:
        return reverse("reporting:recommendation", args=[self.number])

    @property
    def numbered_title(self) -> str:
        """The number and short title, as in "4. National action plans", in the
        active language as plain text; the number alone while there is no title."""
        title = self.translated.short_title.text
        return f"{self.number}. {title}" if title else str(self.number)

    @property
    def heading(self) -> str:
        """As in "Recommendation 4 — National action plans", in the active language:
        for a heading or an accessible name."""
        title = self.translated.short_title.text
        if not title:
            return str(self)
        return _("Recommendation %(number)s — %(title)s") % {
            "number": self.number,
            "title": title,
        }

    @property
    def is_for_secretariat(self) -> bool:
        return self.addressee == self.Addressee.SECRETARIAT


class MemberState(Translatable):
    TRANSLATED_FIELDS = FIELDS["state"]

    iso3 = models.CharField(_("ISO 3166 alpha-3 code"), max_length=3, unique=True)
    iso2 = models.CharField(_("ISO 3166 alpha-2 code"), max_length=2, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_es = models.CharField(_("name (Spanish)"), max_length=100)
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_pt = models.CharField(_("name (Portuguese)"), max_length=100)
    participating = models.BooleanField(
        _("participating"),
        default=True,
        help_text=_("Counted in the hemispheric figures and asked to report."),
    )
    participation_note = models.CharField(
        _("participation note"), max_length=300, blank=True
    )

    class Meta:
        verbose_name = _("member state")
        verbose_name_plural = _("member states")
        ordering = ["name_en"]
        permissions = [
            (
                "report_for_memberstate",
                _("Can file and submit progress updates for the state"),
            ),
            (
                "view_private_memberstate",
                _("Can read the state's drafts, confidential narratives and evidence"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "en")[:2]
        return getattr(self, f"name_{language}", None) or self.name_en


class MemberStateUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign key, so guardian filters states with a join, not a text match."""

    content_object = models.ForeignKey(MemberState, on_delete=models.CASCADE)


class MemberStateGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(MemberState, on_delete=models.CASCADE)


class ReportingCycleQuerySet(models.QuerySet["ReportingCycle"]):
    def open(self) -> Self:
        return self.filter(is_open=True)


class ReportingCycle(Translatable):
    """A round of reporting on an instrument, towards a meeting, with a deadline."""

    TRANSLATED_FIELDS = FIELDS["cycle"]

    instrument = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        related_name="cycles",
        verbose_name=_("instrument"),
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    meeting = models.CharField(_("reports to"), max_length=200)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    deadline = models.DateTimeField(_("submission deadline"))
    time_zone = models.CharField(
        _("time zone of the deadline"), max_length=64, default="America/New_York"
    )
    is_open = models.BooleanField(_("open"), default=False)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportingCycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("reporting cycle")
        verbose_name_plural = _("reporting cycles")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_open"], condition=Q(is_open=True), name="one_open_cycle"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="cycle_period_in_order",
            ),
        ]
        permissions = [
            (
                "manage_reportingcycle",
                _("Can open and close cycles and grant extensions"),
            )
        ]

    def __str__(self) -> str:
        return str(self.translated.name)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def deadline_for(self, member_state: "MemberState | None") -> datetime:
        """The state's deadline: its extension if any (prefetch them in lists)."""
        if member_state is not None:
            for extension in self.extensions.all():
                if extension.member_state_id == member_state.pk:
                    return extension.deadline
        return self.deadline


class CycleExtension(models.Model):
    cycle = models.ForeignKey(
        ReportingCycle, on_delete=models.CASCADE, related_name="extensions"
    )
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.CASCADE,
        related_name="extensions",
        verbose_name=_("member state"),
    )
    deadline = models.DateTimeField(_("extended deadline"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "member_state"], name="one_extension_per_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_state}: {self.deadline:%Y-%m-%d %H:%M}"


class Status(models.TextChoices):
    """The fixed scale of implementation, in order."""

    NOT_STARTED = "not_started", _("Not started")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    LARGELY_IMPLEMENTED = "largely_implemented", _("Largely implemented")
    FULLY_IMPLEMENTED = "fully_implemented", _("Fully implemented")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


STATUS_DEFINITIONS = {
    Status.NOT_STARTED: _(
        "No measure has been taken yet to implement the recommendation."
    ),
    Status.PLANNED: _(
        "Measures are decided or planned, with someone responsible, "
        "but not yet under way."
    ),
    Status.IN_PROGRESS: _(
        "Measures are under way, but cover only part of what the recommendation asks."
    ),
    Status.LARGELY_IMPLEMENTED: _(
        "Most of what the recommendation asks is in place; some gaps remain."
    ),
    Status.FULLY_IMPLEMENTED: _(
        "All that the recommendation asks is in place and working."
    ),
    Status.NOT_APPLICABLE: _(
        "The recommendation does not apply to the state; the narrative says why."
    ),
}

# Counted as "advanced" in the hemispheric figures, the map and the report.
ADVANCED_STATUSES = (Status.LARGELY_IMPLEMENTED, Status.FULLY_IMPLEMENTED)


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    CONFIDENTIAL = "confidential", _("Confidential: the Secretariat only")


class ProgressUpdateQuerySet(models.QuerySet["ProgressUpdate"]):
    def accepted(self) -> Self:
        return self.filter(review_state=ReviewState.ACCEPTED)

    def open(self) -> Self:
        """Updates still being worked on: not yet accepted."""
        return self.exclude(review_state=ReviewState.ACCEPTED)

    def current(self, as_of: datetime | None = None) -> Self:
        """Each state's latest accepted update per recommendation (as of a moment).

        Narrow it by cycle, state or recommendation only: a filter on other fields
        would pick the latest update among those that match, not the current one.
        """
        accepted = self.accepted()
        if as_of is not None:
            accepted = accepted.filter(reviewed_at__lte=as_of)
        keys = ("cycle_id", "member_state_id", "recommendation_id")
        if connections[self.db].features.can_distinct_on_fields:
            # PostgreSQL: the first of each key in the current updates' index order,
            # read from the index alone; half the time of ranking them all below.
            latest = (
                accepted.order_by(*keys, "-reviewed_at", "-pk")
                .distinct(*keys)
                .values("pk")
            )
            return self.filter(pk__in=latest)
        # Ranked on the keys alone (the composite index covers them), then fetched
        # whole: ranking full rows would sort every narrative of every update.
        latest = (
            accepted.order_by()
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F(key) for key in keys],
                    order_by=[F("reviewed_at").desc(), F("pk").desc()],
                )
            )
            .filter(rank=1)
            .values("pk")
        )
        return self.filter(pk__in=latest)

    def with_deadline(self) -> Self:
        """Each update with its state's deadline (``submission_deadline``) read in the
        list's own query: the state's extension in the cycle, or the cycle's."""
        extension = CycleExtension.objects.filter(
            cycle_id=OuterRef("cycle_id"), member_state_id=OuterRef("member_state_id")
        ).values("deadline")[:1]
        # The cycle's deadline by a subquery, not a join: count() drops an annotation
        # it does not need, but not the join one brought, and the API list's count
        # then joined every visible update to its cycle (half its time at full scale).
        deadline = ReportingCycle.objects.filter(pk=OuterRef("cycle_id")).values(
            "deadline"
        )[:1]
        return self.annotate(
            listed_deadline=Coalesce(Subquery(extension), Subquery(deadline))
        )

    def with_participation(self, user: "AnyUser") -> Self:
        """Each update with whether ``user`` wrote or changed it (``took_part``), read
        in the list's own query."""
        steps = UpdateEvent.objects.filter(
            update_id=OuterRef("pk"),
            actor_id=user.pk,
            action__in=CONTRIBUTING_ACTIONS,
        )
        return self.annotate(
            participation_of=Value(user.pk),
            participated=ExpressionWrapper(
                Q(author_id=user.pk) | Exists(steps), output_field=BooleanField()
            ),
        )


class ProgressUpdate(models.Model):
    """A state's report of progress on one recommendation in one cycle."""

    cycle = models.ForeignKey(
        ReportingCycle,
        on_delete=models.PROTECT,
        related_name="updates",
        verbose_name=_("reporting cycle"),
    )
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="updates",
        verbose_name=_("member state"),
        help_text=_("Empty for the Secretariat's own updates."),
    )
    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.PROTECT,
        related_name="updates",
        verbose_name=_("recommendation"),
    )
    # Both may be empty on a draft; submitting requires them (see services).
    status = models.CharField(_("status"), max_length=24, choices=Status, blank=True)
    summary = models.CharField(
        _("public summary"),
        max_length=400,
        blank=True,
        help_text=_("Two or three sentences, published once the update is accepted."),
    )
    narrative = models.TextField(
        _("narrative"),
        blank=True,
        help_text=_("What was done, by whom, with what result. Markdown is allowed."),
    )
    narrative_language = models.CharField(
        _("language of the narrative"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
    )
    narrative_visibility = models.CharField(
        _("who may read the narrative"),
        max_length=16,
        choices=Visibility,
        default=Visibility.CONFIDENTIAL,
    )
    challenges = models.TextField(_("challenges"), blank=True)
    review_state = models.CharField(
        _("review state"), max_length=16, choices=ReviewState, default=ReviewState.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="updates_written",
        verbose_name=_("author"),
    )
    on_behalf = models.BooleanField(
        _("entered by the Secretariat on the state's behalf"), default=False
    )
    on_behalf_reference = models.CharField(
        _("reference of the state's communication"),
        max_length=200,
        blank=True,
        help_text=_("For example the number and date of the note verbale."),
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supersedes"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    returned_at = models.DateTimeField(_("last returned"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="updates_reviewed",
        verbose_name=_("reviewed by"),
    )

    objects = ProgressUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "member_state", "recommendation"],
                condition=~Q(review_state="accepted"),
                name="one_open_update_per_state_and_recommendation",
            ),
            # Only an update still being written may lack a status.
            models.CheckConstraint(
                condition=Q(review_state__in=["draft", "returned"]) | ~Q(status=""),
                name="status_chosen_once_submitted",
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "review_state"]),
            models.Index(
                fields=["cycle", "member_state", "recommendation", "reviewed_at"]
            ),
            # ``current()`` ranks accepted updates in this order: an index-only scan,
            # already sorted (36 ms to 8 ms a cycle at full scale, bench/README.md).
            models.Index(
                fields=[
                    "cycle",
                    "member_state",
                    "recommendation",
                    "-reviewed_at",
                    "-id",
                ],
                condition=Q(review_state="accepted"),
                name="progressupdate_current_idx",
            ),
            # The API's list, newest first, stops after a page instead of sorting
            # every update (110 ms to 0.3 ms at full scale).
            models.Index(
                fields=["-created_at", "-id"], name="progressupdate_newest_idx"
            ),
            # Its count: who may see what, read from the index alone (28 ms to 9 ms).
            models.Index(
                fields=["review_state", "member_state", "cycle"],
                name="progressupdate_visible_idx",
            ),
        ]
        permissions = [
            ("review_progressupdate", _("Can accept or return submitted updates")),
            (
                "report_for_secretariat",
                _("Can file updates on recommendations addressed to the Secretariat"),
            ),
        ]

    def __str__(self) -> str:
        who = self.member_state or _("Secretariat")
        return _("%(who)s on recommendation %(number)s") % {
            "who": who,
            "number": self.recommendation.number,
        }

    def get_absolute_url(self) -> str:
        return reverse("recommendations:update", args=[self.pk])

    # The workflow's rules on an update, shared by the services that enforce them and
    # ``recommendations.permissions.allowed_actions`` that shows what a person may do.
    @property
    def is_editable(self) -> bool:
        return self.review_state in (ReviewState.DRAFT, ReviewState.RETURNED)

    @property
    def is_submittable(self) -> bool:
        """A draft, or a returned update being revised."""
        return self.is_editable

    @property
    def is_withdrawable(self) -> bool:
        """Submitted and not yet reviewed."""
        return self.review_state == ReviewState.SUBMITTED

    @property
    def is_reviewable(self) -> bool:
        return self.review_state == ReviewState.SUBMITTED

    @property
    def is_deletable(self) -> bool:
        """A draft that was never submitted: anything reviewed keeps its history."""
        return self.review_state == ReviewState.DRAFT and self.submitted_at is None

    @property
    def submission_deadline(self) -> datetime:
        """The deadline of the update's state in its cycle (its extension, if any)."""
        listed = self.__dict__.get("listed_deadline")  # see ``with_deadline``
        if listed is not None:
            return listed
        return self.cycle.deadline_for(self.member_state)

    def is_late(self, now: datetime) -> bool:
        """Too late to submit: past the deadline, unless the Secretariat returned the
        update, which may then be resubmitted until the cycle closes."""
        return self.returned_at is None and now > self.submission_deadline

    def took_part(self, user: "AnyUser") -> bool:
        """Whether ``user`` wrote or changed the update: someone else reviews it."""
        if self.__dict__.get("participation_of") == user.pk:  # ``with_participation``
            return self.participated  # type: ignore[attr-defined]  # annotated by with_participation
        if self.author_id == user.pk:
            return True
        return self.events.filter(
            actor_id=user.pk, action__in=CONTRIBUTING_ACTIONS
        ).exists()

    @property
    def narrative_is_public(self) -> bool:
        return self.narrative_visibility == Visibility.PUBLIC

    # What the public may read of an accepted update: never a confidential narrative,
    # nor the challenges written beside it.
    @property
    def public_narrative(self) -> str:
        return self.narrative if self.narrative_is_public else ""

    @property
    def public_challenges(self) -> str:
        return self.challenges if self.narrative_is_public else ""


class Measure(models.Model):
    class Kind(models.TextChoices):
        LEGISLATION = "legislation", _("Legislation")
        POLICY = "policy", _("Policy or plan")
        INSTITUTION = "institution", _("Institution or unit")
        TRAINING = "training", _("Training")
        AWARENESS = "awareness", _("Awareness")
        COOPERATION = "cooperation", _("Cooperation")
        VICTIM_SERVICES = "victim_services", _("Victim services")
        DATA = "data", _("Data and research")
        OTHER = "other", _("Other")

    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, related_name="measures"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind)
    title = models.CharField(_("title"), max_length=300)
    date = models.DateField(_("date"), null=True, blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class AssistanceNeed(models.Model):
    class Kind(models.TextChoices):
        LEGISLATION = "legislation", _("Legislation")
        TRAINING = "training", _("Training")
        DATA_SYSTEMS = "data_systems", _("Data systems")
        VICTIM_SERVICES = "victim_services", _("Victim services")
        FINANCIAL_INVESTIGATION = (
            "financial_investigation",
            _("Financial investigation"),
        )
        INTERNATIONAL_COOPERATION = (
            "international_cooperation",
            _("International cooperation"),
        )
        OTHER = "other", _("Other")

    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, related_name="assistance_needs"
    )
    kind = models.CharField(_("type"), max_length=30, choices=Kind)
    description = models.TextField(_("what is needed"), blank=True)

    class Meta:
        verbose_name = _("technical-assistance need")
        verbose_name_plural = _("technical-assistance needs")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.get_kind_display()


def evidence_path(instance: "Evidence", filename: str) -> str:
    # A random name: the uploader's file name is kept only as data.
    suffix = Path(filename).suffix.lower()
    return f"evidence/{instance.update.cycle_id}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("recommendations:evidence", args=[self.pk])


class UpdateEvent(models.Model):
    """One step in an update's life: created, edited, or moved between review states."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        RETURNED = "returned", _("Returned")
        REVISED = "revised", _("Reopened for revision")
        ACCEPTED = "accepted", _("Accepted")
        EVIDENCE_ADDED = "evidence_added", _("Evidence added")
        EVIDENCE_REMOVED = "evidence_removed", _("Evidence removed")

    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    from_state = models.CharField(
        _("from"), max_length=16, choices=ReviewState, blank=True
    )
    to_state = models.CharField(_("to"), max_length=16, choices=ReviewState, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    checklist = models.JSONField(_("review checklist"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(
        _("content at this version"),
        default=dict,
        blank=True,
        help_text=_("What the update said after this step, to compare versions."),
    )
    notify = models.BooleanField(
        _("tells people"),
        default=True,
        help_text=_("Off for history entered in bulk, such as the demo's."),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("update event")
        verbose_name_plural = _("update events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"


# The steps by which someone takes part in an update, and may then not review it.
CONTRIBUTING_ACTIONS = [
    UpdateEvent.Action.CREATED,
    UpdateEvent.Action.EDITED,
    UpdateEvent.Action.REVISED,
    UpdateEvent.Action.SUBMITTED,
    UpdateEvent.Action.WITHDRAWN,
    UpdateEvent.Action.EVIDENCE_ADDED,
    UpdateEvent.Action.EVIDENCE_REMOVED,
]


# --- Notifications and reminders (see recommendations.notifications) --------------


class Reminder(models.Model):
    """A deadline reminder claimed for a state (or the Secretariat's digest) and step.

    The row is inserted before any email goes out; its unique constraints are what
    keeps a second beat run, or a retried task, from sending the same step again.
    """

    cycle = models.ForeignKey(
        ReportingCycle,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("reporting cycle"),
    )
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("member state"),
        help_text=_("Empty for the digest sent to the Secretariat."),
    )
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    deadline = models.DateTimeField(_("deadline reminded of"))
    missing = models.JSONField(
        _("what had not been reported"),
        default=list,
        blank=True,
        help_text=_(
            "Numbers of the recommendations without a submitted update, or, for the "
            "digest, the states that had not reported."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        # The table it was made with, when notifications lived in the portal app.
        db_table = "portal_reminder"
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "member_state", "days_before"],
                condition=models.Q(member_state__isnull=False),
                name="one_reminder_per_state_and_step",
            ),
            # NULLs are distinct in a plain unique constraint: the digest needs its own.
            models.UniqueConstraint(
                fields=["cycle", "days_before"],
                condition=models.Q(member_state__isnull=True),
                name="one_digest_per_step",
            ),
        ]

    def __str__(self) -> str:
        who = self.member_state or _("Secretariat digest")
        return f"{self.cycle} · {who} · {self.days_before}"


class Notification(models.Model):
    """An email the portal sent (or is about to send) to a person, as they read it."""

    class Kind(models.TextChoices):
        SUBMITTED = "update_submitted", _("Update submitted for review")
        RETURNED = "update_returned", _("Update returned")
        ACCEPTED = "update_accepted", _("Update accepted")
        REMINDER = "deadline_reminder", _("Deadline reminder")
        DIGEST = "reminder_digest", _("States yet to report")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    email = models.EmailField(_("sent to"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    update = models.ForeignKey(
        ProgressUpdate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("progress update"),
    )
    event = models.ForeignKey(
        UpdateEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("workflow step"),
    )
    reminder = models.ForeignKey(
        Reminder,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("deadline reminder"),
    )
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set while a worker is sending; left set if the worker died mid-send, so the
    # email is never sent twice (see notifications.notification_deliver).
    attempted_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        db_table = "portal_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event"],
                condition=models.Q(event__isnull=False),
                name="one_notification_per_step_and_recipient",
            ),
            models.UniqueConstraint(
                fields=["recipient", "reminder"],
                condition=models.Q(reminder__isnull=False),
                name="one_notification_per_reminder_and_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["sent_at", "attempted_at"]),
        ]

    def __str__(self) -> str:
        return self.subject


# --- Good practices picked for the report (see recommendations.good_practices) -------


class GoodPracticeMark(models.Model):
    """A reviewer's pick of an accepted, public update as a good practice for the
    hemispheric report, with the excerpt the report quotes.

    Marks are never deleted, nor their excerpt edited: unmarking closes the mark
    (``unmarked_at``), and a new excerpt closes the old mark and opens another. So a
    report compiled again for an earlier moment quotes what was marked then (see
    ``selectors.good_practices``). ``version`` counts the changes to an update's mark
    (marked, excerpt replaced, unmarked) up to this row's last one; the latest row's
    is the number a reviewer's form carries, so that two reviewers never overwrite
    each other.
    """

    update = models.ForeignKey(
        ProgressUpdate,
        on_delete=models.CASCADE,
        related_name="good_practice_marks",
        verbose_name=_("progress update"),
    )
    version = models.PositiveIntegerField(_("version"))
    excerpt = models.TextField(_("excerpt"))
    language = models.CharField(
        _("language of the excerpt"), max_length=8, choices=settings.LANGUAGES
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("marked by"),
    )
    marked_at = models.DateTimeField(_("marked"))
    unmarked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unmarked or replaced by"),
    )
    unmarked_at = models.DateTimeField(_("unmarked or replaced"), null=True, blank=True)

    class Meta:
        verbose_name = _("good practice")
        verbose_name_plural = _("good practices")
        ordering = ["update", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["update", "version"], name="unique_good_practice_version"
            ),
            models.UniqueConstraint(
                fields=["update"],
                condition=Q(unmarked_at__isnull=True),
                name="one_live_good_practice_per_update",
            ),
        ]

    def __str__(self) -> str:
        return _("Good practice: %(update)s") % {"update": self.update}

    @property
    def is_live(self) -> bool:
        return self.unmarked_at is None


# --- Reminders the Secretariat sends by hand from coverage (see notifications) -------


class FollowUpReminder(models.Model):
    """A reminder a person of the Secretariat sent a state's focal points from the
    coverage page, outside the deadline reminders of beat.

    ``day`` is the date in the portal's time zone; its unique constraint is what keeps
    a state from being reminded twice a day, even by two clicks at the same moment.
    """

    cycle = models.ForeignKey(
        ReportingCycle,
        on_delete=models.CASCADE,
        related_name="follow_up_reminders",
        verbose_name=_("reporting cycle"),
    )
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.CASCADE,
        related_name="follow_up_reminders",
        verbose_name=_("member state"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent"))
    day = models.DateField(_("day, in the portal's time zone"))

    class Meta:
        verbose_name = _("reminder sent from coverage")
        verbose_name_plural = _("reminders sent from coverage")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member_state", "day"],
                name="one_follow_up_reminder_per_state_and_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_state} · {self.day}"
