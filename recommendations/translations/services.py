"""The Secretariat's changes to the catalogue's translations."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ConflictError
from recommendations.translations.po import Reading
from recommendations.translations.texts import (
    CatalogueText,
    Standing,
    Translatable,
    entry,
)


class ReferenceRequired(ValueError):
    pass


def _entry(text: str, standing: str, reference: str) -> dict[str, str]:
    standing = Standing(standing)
    reference = reference.strip()
    if standing == Standing.OFFICIAL and not reference:
        raise ReferenceRequired(
            _("An official translation needs the symbol of the document it is from.")
        )
    return {
        "text": text.strip(),
        "standing": standing.value,
        "reference": reference if standing == Standing.OFFICIAL else "",
    }


def _locked(text: CatalogueText) -> Translatable:
    return type(text.obj)._default_manager.select_for_update().get(pk=text.obj.pk)


def _current(obj: Translatable, field: str, language: str) -> dict[str, str]:
    return entry(obj, field, language) or {"text": "", "standing": "", "reference": ""}


def set_translation(
    *,
    text: CatalogueText,
    language: str,
    new_text: str,
    standing: str,
    reference: str,
    expected: dict[str, str],
) -> None:
    """Save one translation; an empty text removes it. ``expected`` is the entry the
    editor started from: if someone else saved in between, nothing is overwritten."""
    with transaction.atomic():
        obj = _locked(text)
        if _current(obj, text.field, language) != expected:
            raise ConflictError(
                _(
                    "Someone else changed this translation while you were editing it. "
                    "Your text is below; compare it with theirs before you save again."
                )
            )
        texts = obj.translations.setdefault(language, {})
        if new_text.strip():
            texts[text.field] = _entry(new_text, standing, reference)
        else:
            texts.pop(text.field, None)
        obj.save(update_fields=["translations"])


def import_translations(
    *, reading: Reading, language: str, standing: str, reference: str
) -> int:
    """Apply the changes a file's reading showed, all or none; each takes
    ``standing``. Refused if any text changed since the reading."""
    with transaction.atomic():
        for change in reading.changes:
            obj = _locked(change.text)
            if _current(obj, change.text.field, language)["text"] != change.current:
                raise ConflictError(
                    _(
                        "“%(label)s” was changed by someone else after the file was "
                        "read. Nothing was imported; upload the file again."
                    )
                    % {"label": change.text.label}
                )
            obj.translations.setdefault(language, {})[change.text.field] = _entry(
                change.new, standing, reference
            )
            obj.save(update_fields=["translations"])
    return len(reading.changes)
