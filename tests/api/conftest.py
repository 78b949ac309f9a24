"""The API's cast and data: the five roles as API clients, and updates in each state.

    def test_something(api, focal_mex, mex_draft):
        response = api(focal_mex).get(f"/api/v1/progress-updates/{mex_draft.pk}/")

``api(None)`` is the public. Throttling is off unless a test turns it on
(``throttle_rates``).
"""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from recommendations import services
from recommendations.models import ProgressUpdate
from recommendations.services import NeedData
from tests.factories import progress_update


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The cast's passwords are hashed for every test; the real hasher takes seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_throttling(settings):
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
    return progress_update(
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
    return progress_update(mexico, 4, author=focal_mex, steps=["submit"])


@pytest.fixture
def mex_returned(mex_submitted, reviewer) -> ProgressUpdate:
    return services.progress_update_return(
        update=mex_submitted, actor=reviewer, comment="Give the dates, please."
    )


@pytest.fixture
def mex_public(focal_mex, mexico, reviewer, cycle) -> ProgressUpdate:
    """Accepted, with a public narrative."""
    return progress_update(
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
    return progress_update(
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
    return progress_update(
        brazil, 3, author=focal_bra, steps=[], narrative="Brazil's draft."
    )


# --- A live server, for the README's script and the fuzzing run -------------------


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, able to start whatever MEDIA_URL says.

    The portal sets ``MEDIA_URL = None`` (evidence is never served); Django's live
    server parses it once at start and fails every request on None, so it starts
    with a prefix nothing links to. (tests/e2e has the same fixture.)
    """
    import os

    from django.conf import settings
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver")
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    media_url = settings.MEDIA_URL or "/live-server-media-not-served/"
    with override_settings(MEDIA_URL=media_url):
        server = LiveServer(address)
    yield server
    server.stop()


@pytest.fixture
def live(live_server, transactional_db, django_db_serialized_rollback) -> str:
    """The live server's address. Its database is emptied after the test, and the
    catalogue and open cycle of the migrations put back (serialized rollback)."""
    return live_server.url
