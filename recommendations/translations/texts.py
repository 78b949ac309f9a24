"""The catalogue's texts in the OAS languages, each with its standing.

English is the text as adopted. A Spanish, French or Portuguese text is either
*official* (the Secretariat entered it from an official document, whose symbol it
keeps) or a *working translation*, which every reader is told is not authoritative.
Translations live beside their source, in each object's ``translations`` field:
``{"es": {"text": {"text": "...", "standing": "working", "reference": ""}}}``.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

SOURCE_LANGUAGE = "en"
TRANSLATED_LANGUAGES = ("es", "fr", "pt")


# The fields each kind of catalogue object has translated, named as in the keys.
FIELDS = {
    "instrument": (
        "title",
        "short_title",
        "agreed_by",
        "meeting",
        "meeting_place",
        "reports_to",
        "preamble",
    ),
    "footnote": ("text",),
    "theme": ("title",),
    "recommendation": ("short_title", "text"),
    "cycle": ("name", "meeting"),
    "state": ("participation_note",),
}


class Standing(models.TextChoices):
    OFFICIAL = "official", _("Official translation")
    WORKING = "working", _("Working translation")


# What a reader is shown; the two beyond Standing's are never stored.
SOURCE = "source"  # the English text as adopted
MISSING = "missing"  # no translation yet: the English text stands in


@dataclass(frozen=True)
class Translation:
    text: str
    language: str  # the language of ``text``
    standing: str  # SOURCE, MISSING, or a Standing
    reference: str = ""  # an official translation's document symbol

    def __str__(self) -> str:
        return self.text

    @property
    def is_fallback(self) -> bool:
        return self.standing == MISSING

    @property
    def is_working(self) -> bool:
        return self.standing == Standing.WORKING


def entry(obj: "Translatable", field: str, language: str) -> dict | None:
    """The stored translation of ``field`` into ``language``, if any."""
    found = (obj.translations or {}).get(language, {}).get(field)
    return found if found and found.get("text") else None


def translate(
    obj: "Translatable", field: str, language: str | None = None
) -> Translation:
    language = (language or get_language() or SOURCE_LANGUAGE)[:2]
    source = getattr(obj, field)
    if language not in TRANSLATED_LANGUAGES:
        return Translation(source, SOURCE_LANGUAGE, SOURCE)
    found = entry(obj, field, language)
    if found is None:
        return Translation(source, SOURCE_LANGUAGE, MISSING)
    return Translation(
        found["text"], language, found["standing"], found.get("reference", "")
    )


class TranslatedTexts:
    """``obj.translated.title`` in templates: the field in the active language."""

    def __init__(self, obj: "Translatable"):
        self._obj = obj

    def __getattr__(self, field: str) -> Translation:
        if field not in self._obj.TRANSLATED_FIELDS:
            raise AttributeError(field)
        return translate(self._obj, field)


class Translatable(models.Model):
    TRANSLATED_FIELDS: tuple[str, ...] = ()

    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("Managed on the Translations pages."),
    )

    class Meta:
        abstract = True

    @property
    def translated(self) -> TranslatedTexts:
        return TranslatedTexts(self)


# --- The catalogue as a list of texts to translate ---------------------------------


@dataclass(frozen=True)
class CatalogueText:
    """One text to translate, named by a key that stays the same across databases."""

    key: str
    label: str | Promise
    obj: Translatable
    field: str

    @property
    def source(self) -> str:
        return getattr(self.obj, self.field)

    def translation(self, language: str) -> Translation:
        return translate(self.obj, self.field, language)


def catalogue_texts(instrument) -> Iterator[CatalogueText]:
    """Every text of ``instrument`` and its cycles a reader meets, in reading order."""
    labels = {
        "title": _("Title as printed"),
        "short_title": _("Short title"),
        "agreed_by": _("Agreed upon by"),
        "meeting": _("Meeting"),
        "meeting_place": _("Meeting place"),
        "reports_to": _("Reports to"),
        "preamble": _("Preamble"),
    }
    for field in FIELDS["instrument"]:
        yield CatalogueText(f"instrument.{field}", labels[field], instrument, field)
    for footnote in instrument.footnotes.order_by("number"):
        yield CatalogueText(
            f"footnote.{footnote.number}.text",
            _("Footnote %(number)s") % {"number": footnote.number},
            footnote,
            "text",
        )
    for theme in instrument.themes.order_by("position"):
        yield CatalogueText(
            f"theme.{theme.slug}.title",
            _("Theme %(position)s: title") % {"position": theme.position},
            theme,
            "title",
        )
    for recommendation in instrument.recommendations.order_by("number"):
        for field, label in (
            ("short_title", _("Recommendation %(number)s: short title")),
            ("text", _("Recommendation %(number)s: text")),
        ):
            yield CatalogueText(
                f"recommendation.{recommendation.number}.{field}",
                label % {"number": recommendation.number},
                recommendation,
                field,
            )
    for cycle in instrument.cycles.order_by("period_start", "slug"):
        for field, label in (
            ("name", _("Cycle “%(slug)s”: name")),
            ("meeting", _("Cycle “%(slug)s”: reports to")),
        ):
            yield CatalogueText(
                f"cycle.{cycle.slug}.{field}",
                label % {"slug": cycle.slug},
                cycle,
                field,
            )
    states = instrument._meta.apps.get_model("recommendations", "MemberState")
    for state in states.objects.exclude(participation_note="").order_by("iso3"):
        yield CatalogueText(
            f"state.{state.iso3}.participation_note",
            _("%(state)s: participation note") % {"state": state.name_en},
            state,
            "participation_note",
        )


def object_for_key(instrument, key: str) -> tuple[models.Model, str] | None:
    """The object and field a key names, in ``instrument``; None if there is none.

    Works with a migration's historical models too: it goes through related names.
    """
    kind, _, rest = key.partition(".")
    ident, _, field = rest.rpartition(".")
    if field not in FIELDS.get(kind, ()):
        return None
    if kind == "instrument":
        return (instrument, field) if not ident else None
    if kind in ("footnote", "recommendation") and not ident.isdigit():
        return None
    states = instrument._meta.apps.get_model("recommendations", "MemberState")
    found = {
        "state": lambda: states.objects.filter(iso3=ident),
        "footnote": lambda: instrument.footnotes.filter(number=ident),
        "theme": lambda: instrument.themes.filter(slug=ident),
        "recommendation": lambda: instrument.recommendations.filter(number=ident),
        "cycle": lambda: instrument.cycles.filter(slug=ident),
    }[kind]().first()
    return (found, field) if found is not None else None
