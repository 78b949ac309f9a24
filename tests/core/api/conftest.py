"""The API's own checks: a live server for the README's script, the fuzzing run and
the docs in a browser. The cast and its updates are in tests/conftest.py."""

import pytest


@pytest.fixture(autouse=True)
def _api_settings(api_settings):
    """Every test here runs with the API tests' settings (tests/conftest.py)."""


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
