"""Helpers for the translation pages' tests: the current instrument, one text, and
snapshots of every translation to check that a refused step changed nothing."""

import pytest

from recommendations.models import (
    Footnote,
    Instrument,
    Recommendation,
    ReportingCycle,
    Theme,
)

CATALOGUE_MODELS = (Instrument, Footnote, Theme, Recommendation, ReportingCycle)


@pytest.fixture
def instrument(db):
    return Instrument.objects.current()


def snapshot() -> dict:
    """Every translation of every catalogue object, to compare before and after."""
    return {
        (model.__name__, pk): translations
        for model in CATALOGUE_MODELS
        for pk, translations in model.objects.values_list("pk", "translations")
    }


@pytest.fixture
def alba(client, secretariat_admin):
    """Alba, a Secretariat admin, signed in: she may manage translations."""
    client.force_login(secretariat_admin)
    return client


def edited(content: str, key: str, change) -> str:
    """The PO file ``content`` with the entry ``key`` changed by ``change(entry)``,
    as a translator's tool would save it."""
    import polib

    catalogue = polib.pofile(content)
    found = next(item for item in catalogue if item.msgctxt == key)
    change(found)
    return str(catalogue)


def with_msgstr(content: str, key: str, msgstr: str) -> str:
    def change(item):
        item.msgstr = msgstr

    return edited(content, key, change)
