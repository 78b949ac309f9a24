"""The cast of the permission tests: two focal points, a reviewer, an admin; and the
API's: the cast as API clients, and updates in each state.

    def test_something(api, focal_mex, mex_draft):
        response = api(focal_mex).get(f"/api/v1/progress-updates/{mex_draft.pk}/")

``api(None)`` is the public. The API tests (the api/ folders) run with
``api_settings``: throttling is off unless a test turns it on (``throttle_rates``).
"""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role
from recommendations import services
from recommendations.models import ProgressUpdate
from recommendations.services import NeedData
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


# --- The API's cast and data -----------------------------------------------------


@pytest.fixture
def api_settings(settings):
    """The API tests' settings (each api/ folder's conftest uses them for all its
    tests): fast password hashing, as the cast's passwords are hashed for every test
    and the real hasher takes seconds; and no throttling unless a test turns it on
    (``throttle_rates``)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "auth": None},
    }


@pytest.fixture
def throttle_rates(settings) -> Callable[..., None]:
    """Turn throttling on: ``throttle_rates(anon="2/minute")``."""
    from django.core.cache import cache

    cache.clear()

    def set_rates(**rates: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "auth": None}
            | rates,
        }

    yield set_rates
    cache.clear()


@pytest.fixture
def api(db) -> Callable[..., APIClient]:
    """An API client signed in with the user's token, or the public's (None)."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            _token, secret = ApiToken.objects.create(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return client_for


@pytest.fixture
def who(request) -> Callable[[str], object]:
    """A role's user by name (None for the public), for parametrized tests."""

    def user(role: str):
        return None if role == "public" else request.getfixturevalue(role)

    return user


@pytest.fixture
def mex_draft(focal_mex, mexico, cycle) -> ProgressUpdate:
    return factories.progress_update(
        mexico,
        3,
        author=focal_mex,
        steps=[],
        narrative="Confidential draft narrative.",
        narrative_visibility="confidential",
        challenges="Draft challenges.",
        assistance_needs=[NeedData(kind="training", description="Inspectors")],
    )


@pytest.fixture
def mex_submitted(focal_mex, mexico, cycle) -> ProgressUpdate:
    return factories.progress_update(mexico, 4, author=focal_mex, steps=["submit"])


@pytest.fixture
def mex_returned(mex_submitted, reviewer) -> ProgressUpdate:
    return services.progress_update_return(
        update=mex_submitted, actor=reviewer, comment="Give the dates, please."
    )


@pytest.fixture
def mex_public(focal_mex, mexico, reviewer, cycle) -> ProgressUpdate:
    """Accepted, with a public narrative."""
    return factories.progress_update(
        mexico,
        5,
        author=focal_mex,
        reviewer=reviewer,
        narrative="Public narrative of Mexico.",
        narrative_visibility="public",
        challenges="Public challenges.",
        on_behalf_reference="",
    )


@pytest.fixture
def mex_confidential(focal_mex, mexico, reviewer, cycle) -> ProgressUpdate:
    """Accepted, with a confidential narrative."""
    return factories.progress_update(
        mexico,
        6,
        author=focal_mex,
        reviewer=reviewer,
        narrative="SECRET narrative of Mexico.",
        narrative_visibility="confidential",
        challenges="SECRET challenges.",
    )


@pytest.fixture
def bra_draft(focal_bra, brazil, cycle) -> ProgressUpdate:
    return factories.progress_update(
        brazil, 3, author=focal_bra, steps=[], narrative="Brazil's draft."
    )
