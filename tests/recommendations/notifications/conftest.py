import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = "https://tip.example.org"


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests in other languages leave theirs active in the thread: undo it."""
    language = translation.get_language()
    yield
    translation.activate(language)
