"""What the Secretariat's translation pages read: where each language stands."""

from dataclasses import dataclass

from recommendations.translations.texts import (
    MISSING,
    TRANSLATED_LANGUAGES,
    CatalogueText,
    Standing,
    Translatable,
    Translation,
    catalogue_texts,
)


@dataclass(frozen=True)
class LanguageStatus:
    language: str
    official: int
    working: int
    missing: int

    @property
    def total(self) -> int:
        return self.official + self.working + self.missing


@dataclass(frozen=True)
class TextRow:
    text: CatalogueText
    translation: Translation  # standing MISSING when there is none

    @property
    def is_missing(self) -> bool:
        return self.translation.standing == MISSING


def translation_status(instrument: Translatable) -> list[LanguageStatus]:
    """Per language, how many texts have an official, a working or no translation."""
    texts = list(catalogue_texts(instrument))
    status = []
    for language in TRANSLATED_LANGUAGES:
        standings = [text.translation(language).standing for text in texts]
        status.append(
            LanguageStatus(
                language=language,
                official=standings.count(Standing.OFFICIAL),
                working=standings.count(Standing.WORKING),
                missing=standings.count(MISSING),
            )
        )
    return status


def language_rows(instrument: Translatable, language: str) -> list[TextRow]:
    texts = catalogue_texts(instrument)
    return [TextRow(text, text.translation(language)) for text in texts]


def text_for_key(instrument: Translatable, key: str) -> CatalogueText | None:
    return next((t for t in catalogue_texts(instrument) if t.key == key), None)
