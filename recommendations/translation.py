"""Catalogue texts the Secretariat translates: English always, others once entered."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import get_language

TRANSLATED_LANGUAGES = ("es", "fr", "pt")


@dataclass(frozen=True)
class Translation:
    text: str
    language: str
    is_fallback: bool  # True when English shows because no translation was entered

    def __str__(self) -> str:
        return self.text


def translate(
    obj: models.Model, field: str, language: str | None = None
) -> Translation:
    language = (language or get_language() or "en")[:2]
    if language in TRANSLATED_LANGUAGES:
        text = getattr(obj, f"{field}_{language}")
        if text:
            return Translation(text, language, is_fallback=False)
        return Translation(getattr(obj, field), "en", is_fallback=True)
    return Translation(getattr(obj, field), "en", is_fallback=False)
