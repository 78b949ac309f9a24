"""The cast of the permission tests: two focal points, a reviewer, an admin."""

import pytest

from accounts.models import Role
from tests import factories
from tests.browser import (  # noqa: F401 - one browser per run, pages for any test
    chromium,
    open_page,
    page,
    page_problems,
    playwright,
    sign_in,
)
from tests.celery_support import own_redis  # noqa: F401 - a fixture for every test


@pytest.fixture
def focal_mex(db):
    """Focal point of Mexico: may report for Mexico, and for no other state."""
    return factories.focal_point("MEX", username="maria")


@pytest.fixture
def focal_bra(db):
    """Focal point of Brazil: should have no access to Mexico's private data."""
    return factories.focal_point("BRA", username="bruno")


@pytest.fixture
def reviewer(db):
    return factories.secretariat(Role.REVIEWER, username="rita")


@pytest.fixture
def secretariat_admin(db):
    return factories.secretariat(Role.ADMIN, username="alba")


@pytest.fixture
def mexico(db):
    from recommendations.models import MemberState

    return MemberState.objects.get(iso3="MEX")


@pytest.fixture
def brazil(db):
    from recommendations.models import MemberState

    return MemberState.objects.get(iso3="BRA")


@pytest.fixture
def cycle(db):
    """The open cycle the data migration creates, with its deadline in the future."""
    from recommendations.models import ReportingCycle

    return ReportingCycle.objects.get(is_open=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a page cached earlier would be stale."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _language_restored():
    """A request in another language leaves it active in the thread: undo it, or the
    next test reads its messages in Portuguese."""
    from django.utils import translation

    language = translation.get_language()
    yield
    translation.activate(language)
