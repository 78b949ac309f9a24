from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from recommendations.translation import Translation, translate


class InstrumentQuerySet(models.QuerySet):
    def current(self) -> "Instrument":
        return self.get(is_current=True)


class Instrument(models.Model):
    """A document of recommendations adopted by a Meeting of National Authorities."""

    slug = models.SlugField(unique=True)
    title = models.TextField(_("title as printed"))
    short_title = models.CharField(_("short title"), max_length=200)
    short_title_es = models.CharField(
        _("short title (Spanish)"), max_length=200, blank=True
    )
    short_title_fr = models.CharField(
        _("short title (French)"), max_length=200, blank=True
    )
    short_title_pt = models.CharField(
        _("short title (Portuguese)"), max_length=200, blank=True
    )
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
        return self.short_title

    def get_absolute_url(self) -> str:
        return reverse("recommendations:catalogue")

    def short_title_translated(self) -> Translation:
        return translate(self, "short_title")


class Footnote(models.Model):
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
        return self.repeats.text if self.repeats_id else self.text


class Theme(models.Model):
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="themes"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    slug = models.SlugField(max_length=100)
    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(_("title (Spanish)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_pt = models.CharField(_("title (Portuguese)"), max_length=200, blank=True)

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
        return self.title

    def title_translated(self) -> Translation:
        return translate(self, "title")


class Recommendation(models.Model):
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
    text = models.TextField(_("text"))
    text_es = models.TextField(_("text (Spanish)"), blank=True)
    text_fr = models.TextField(_("text (French)"), blank=True)
    text_pt = models.TextField(_("text (Portuguese)"), blank=True)
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
        return reverse("recommendations:recommendation", args=[self.number])

    def text_translated(self) -> Translation:
        return translate(self, "text")

    @property
    def is_for_secretariat(self) -> bool:
        return self.addressee == self.Addressee.SECRETARIAT


class MemberState(models.Model):
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
