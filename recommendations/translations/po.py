"""The catalogue's texts as a gettext PO file, one per language, for translators.

PO rather than XLIFF or a spreadsheet: every translation tool the OAS's translators
and volunteers use reads and writes it (Trados, memoQ, OmegaT, Poedit, Weblate), it is
the format Django's own interface translations are in, and polib reads and writes it
faithfully. Each entry's context is the text's key, its msgid the English as adopted,
so a file made before the English changed is refused rather than applied to new text.
"""

from dataclasses import dataclass
from typing import Any

import polib
from django.db import models
from django.utils.translation import gettext as _

from recommendations.translations.texts import (
    CatalogueText,
    Standing,
    catalogue_texts,
    entry,
    object_for_key,
)

# The longest text a translator may send for a one-line field, as the English allows.
ONE_LINE_LIMIT = 200


class TranslationFileError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Change:
    text: CatalogueText
    current: str  # "" when there was no translation
    new: str


@dataclass(frozen=True)
class Reading:
    """What a file would change, and what it leaves aside and why."""

    changes: list[Change]
    unchanged: int
    skipped_fuzzy: list[str]
    skipped_empty: list[str]


def length_limit(text: CatalogueText) -> int | None:
    """A one-line field's limit; a paragraph, however long, has none."""
    field = text.obj._meta.get_field(text.field)
    return ONE_LINE_LIMIT if isinstance(field, models.CharField) else None


def standing_note(text: CatalogueText, language: str) -> str:
    found = entry(text.obj, text.field, language)
    if found is None:
        return _("Standing: not translated yet")
    if found["standing"] == Standing.OFFICIAL:
        return _("Standing: official translation (%(reference)s)") % {
            "reference": found.get("reference", "")
        }
    return _("Standing: working translation")


def export(instrument, language: str) -> str:
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Project-Id-Version": instrument.slug,
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    for text in catalogue_texts(instrument):
        found = entry(text.obj, text.field, language)
        catalogue.append(
            polib.POEntry(
                msgctxt=text.key,
                msgid=text.source,
                msgstr=found["text"] if found else "",
                comment=f"{text.label}\n{standing_note(text, language)}",
            )
        )
    return str(catalogue)


def _parse(content: str) -> polib.POFile:
    try:
        return polib.pofile(content)
    except (OSError, ValueError, UnicodeError) as error:
        raise TranslationFileError(
            [_("This is not a PO file that can be read: %(error)s") % {"error": error}]
        ) from error


def read(instrument, language: str, content: str) -> Reading:
    """What importing ``content`` into ``language`` would change. Raises
    TranslationFileError listing every problem; then nothing may be saved."""
    catalogue = _parse(content)
    problems = []
    file_language = (catalogue.metadata.get("Language") or "").replace("_", "-")
    if file_language.split("-")[0].lower() != language:
        problems.append(
            _("The file is for the language “%(file)s”, not “%(language)s”.")
            % {"file": file_language or "?", "language": language}
        )
    project = catalogue.metadata.get("Project-Id-Version", "")
    if project != instrument.slug:
        problems.append(
            _("The file is for “%(file)s”, not for “%(instrument)s”.")
            % {"file": project or "?", "instrument": instrument.slug}
        )
    texts = {text.key: text for text in catalogue_texts(instrument)}
    seen: set[str] = set()
    changes, unchanged, fuzzy, empty = [], 0, [], []
    for item in catalogue:
        if item.obsolete:
            continue
        key = item.msgctxt or ""
        text = texts.get(key)
        if text is None:
            problems.append(
                _("“%(key)s” is not a text of this catalogue.") % {"key": key}
            )
            continue
        if key in seen:
            problems.append(_("“%(key)s” appears more than once.") % {"key": key})
            continue
        seen.add(key)
        if item.msgid != text.source:
            problems.append(
                _(
                    "The English of “%(label)s” has changed since this file was "
                    "made; export the file again."
                )
                % {"label": text.label}
            )
            continue
        if "fuzzy" in item.flags:
            fuzzy.append(key)
            continue
        new = item.msgstr.strip()
        if not new:
            empty.append(key)
            continue
        if (limit := length_limit(text)) is not None and len(new) > limit:
            problems.append(
                _("The translation of “%(label)s” is longer than %(limit)s characters.")
                % {"label": text.label, "limit": limit}
            )
            continue
        found = entry(text.obj, text.field, language)
        current = found["text"] if found else ""
        if new == current:
            unchanged += 1
        else:
            changes.append(Change(text, current, new))
    if problems:
        raise TranslationFileError(problems)
    return Reading(changes, unchanged, fuzzy, empty)


def load_shipped(instrument, content: str, language: str) -> None:
    """The working translations that come with the portal, where none is set yet."""
    changed: dict[tuple[type[models.Model], int], Any] = {}  # historical models too
    for item in polib.pofile(content):
        located = object_for_key(instrument, item.msgctxt or "")
        if located is None or not item.msgstr or "fuzzy" in item.flags:
            continue
        obj, field = located
        if not hasattr(obj, "translations") or not hasattr(obj, field):
            continue  # an earlier migration, before this kind or field existed
        obj = changed.setdefault((type(obj), obj.pk), obj)
        if getattr(obj, field) != item.msgid or entry(obj, field, language):
            continue
        obj.translations.setdefault(language, {})[field] = {
            "text": item.msgstr,
            "standing": Standing.WORKING.value,
            "reference": "",
        }
    for obj in changed.values():
        obj.save(update_fields=["translations"])
