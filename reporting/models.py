"""Reports compiled from the published data: each generation, and the texts in it."""

from datetime import timedelta
from typing import Self

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recommendations.models import MemberState, ReportingCycle

# The languages the report is written in; its own words come from Django's catalogues.
REPORT_LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("pt", _("Portuguese")),
]


# The organ the Secretariat usually reports to: the cover's first line, offered in
# the generate form (what the person types is what is stored and printed).
DEFAULT_ORGAN = _("Meeting of National Authorities on Trafficking in Persons")


def report_path(instance: "ReportRun", filename: str) -> str:
    # Under MEDIA_ROOT, never served directly: downloads go through a view.
    scope = instance.member_state.iso3.lower() if instance.member_state_id else "oas"  # type: ignore[union-attr]  # set with member_state_id
    return (
        f"reports/{instance.cycle.slug}/{instance.pk}-{scope}-{instance.language}.pdf"
    )


def docx_path(instance: "ReportRun", filename: str) -> str:
    return report_path(instance, filename).removesuffix(".pdf") + ".docx"


class ReportRunQuerySet(models.QuerySet["ReportRun"]):
    def hemispheric(self) -> Self:
        return self.filter(member_state__isnull=True)

    def active(self) -> Self:
        return self.filter(state__in=[ReportRun.State.QUEUED, ReportRun.State.RUNNING])

    def published(self) -> Self:
        return self.filter(published_at__isnull=False, state=ReportRun.State.SUCCEEDED)

    def public_profiles(self) -> Self:
        """States' profiles anyone may download: those of a published report."""
        return self.filter(
            member_state__isnull=False,
            final=True,
            state=ReportRun.State.SUCCEEDED,
            profile_of__published_at__isnull=False,
            profile_of__state=ReportRun.State.SUCCEEDED,
        ).exclude(pdf="")


class ReportRun(models.Model):
    """One generation of a report, from the request to the stored PDF."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Stage(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        GATHERING = "gathering", _("Gathering the data")
        CHARTS = "charts", _("Building the charts")
        RENDERING = "rendering", _("Rendering the PDF")
        STORING = "storing", _("Storing the PDF")
        DONE = "done", _("Done")

    cycle = models.ForeignKey(
        ReportingCycle,
        on_delete=models.PROTECT,
        related_name="report_runs",
        verbose_name=_("reporting cycle"),
    )
    member_state = models.ForeignKey(
        MemberState,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_runs",
        verbose_name=_("member state"),
        help_text=_("Empty for the hemispheric report."),
    )
    language = models.CharField(_("language"), max_length=8, choices=REPORT_LANGUAGES)
    as_of = models.DateTimeField(
        _("data as of"), help_text=_("The report covers what was accepted by then.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("Empty when compiled with the compile_report command."),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=12, choices=State, default=State.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (percent)"), default=0, validators=[MaxValueValidator(100)]
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage, default=Stage.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=3)
    queued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    stage_seconds = models.JSONField(
        _("seconds per stage"), default=dict, blank=True, editable=False
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    # The cover's OAS document block, as the Secretariat typed it for this run.
    organ = models.CharField(_("organ"), max_length=200, blank=True)
    classification = models.CharField(
        _("classification"),
        max_length=60,
        blank=True,
        help_text=_("The OAS series, e.g. OEA/Ser.K/XXXIX.8."),
    )
    document_symbol = models.CharField(
        _("document symbol"),
        max_length=60,
        blank=True,
        help_text=_("e.g. RTP-VIII/doc.3/26."),
    )
    issued_on = models.DateField(_("date of the document"), null=True, blank=True)
    original_language = models.CharField(
        _("original language"), max_length=8, choices=REPORT_LANGUAGES, default="en"
    )
    final = models.BooleanField(
        _("final edition"),
        default=False,
        help_text=_("Compiled for publication: no DRAFT mark on its pages."),
    )
    edition_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="final_editions",
        verbose_name=_("final edition of"),
        help_text=_("The draft whose publication was confirmed, for a final edition."),
    )
    profile_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="state_profiles",
        verbose_name=_("profile in"),
        help_text=_(
            "For a state's public profile: the hemispheric report it goes with; the "
            "public may download it while that report is published."
        ),
    )
    pdf = models.FileField(_("PDF"), upload_to=report_path, max_length=200, blank=True)
    docx = models.FileField(
        _("DOCX"),
        upload_to=docx_path,
        max_length=200,
        blank=True,
        help_text=_("The editable edition, for conference services."),
    )
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    objects = ReportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="report_progress_percent"
            ),
            # Only a finished hemispheric report is ever public.
            models.CheckConstraint(
                condition=Q(published_at__isnull=True)
                | Q(state="succeeded", member_state__isnull=True),
                name="report_published_when_succeeded",
            ),
            # A state's public profile goes with a hemispheric report.
            models.CheckConstraint(
                condition=Q(profile_of__isnull=True) | Q(member_state__isnull=False),
                name="report_profile_is_a_states",
            ),
        ]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]
        permissions = [
            (
                "generate_hemispheric_reportrun",
                _("Can generate and download the hemispheric report"),
            ),
            ("publish_reportrun", _("Can publish a finished report")),
        ]

    def __str__(self) -> str:
        if self.member_state_id:
            return _("Report of %(state)s, %(cycle)s (%(language)s)") % {
                "state": self.member_state,
                "cycle": self.cycle,
                "language": self.get_language_display(),
            }
        return _("Hemispheric report, %(cycle)s (%(language)s)") % {
            "cycle": self.cycle,
            "language": self.get_language_display(),
        }

    def get_absolute_url(self) -> str:
        return reverse("reports:run", args=[self.pk])

    def get_public_url(self) -> str:
        """The download anyone may use, once the report is published."""
        return reverse("reports:published-download", args=[self.pk])

    @property
    def is_hemispheric(self) -> bool:
        return self.member_state_id is None

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def waited(self) -> timedelta | None:
        """Time between the request and the first start of work."""
        if self.started_at:
            return self.started_at - self.requested_at
        return None

    def download_name(self, extension: str = "pdf") -> str:
        scope = self.member_state.iso3.lower() if self.member_state_id else "oas"  # type: ignore[union-attr]  # set with member_state_id
        day = timezone.localdate(self.as_of).isoformat()
        draft = "" if self.final else "-draft"
        return (
            f"tip-progress-report-{self.cycle.slug}-{scope}-{self.language}-{day}"
            f"{draft}.{extension}"
        )


class ReportText(models.Model):
    """The Secretariat's texts of the report, one version per save.

    Introduction, background and mandate, conclusions, recommendations to the
    meeting: Markdown, each rendered as a chapter of the report
    (``core.markdown.render_document_markdown``).

    Versions are never changed, so a report as of a moment shows the texts as they
    stood then, and two runs with the same as-of give the same document.
    """

    cycle = models.ForeignKey(
        ReportingCycle,
        on_delete=models.PROTECT,
        related_name="report_texts",
        verbose_name=_("reporting cycle"),
    )
    language = models.CharField(_("language"), max_length=8, choices=REPORT_LANGUAGES)
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("Markdown is allowed.")
    )
    background = models.TextField(
        _("background and mandate"), blank=True, help_text=_("Markdown is allowed.")
    )
    conclusions = models.TextField(
        _("conclusions"), blank=True, help_text=_("Markdown is allowed.")
    )
    meeting_recommendations = models.TextField(
        _("recommendations to the meeting"),
        blank=True,
        help_text=_("Markdown is allowed."),
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("report text")
        verbose_name_plural = _("report texts")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["cycle", "language", "created_at"])]

    def __str__(self) -> str:
        return _("Texts of the report, %(cycle)s (%(language)s)") % {
            "cycle": self.cycle,
            "language": self.get_language_display(),
        }
