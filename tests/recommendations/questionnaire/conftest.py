import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests in other languages leave theirs active in the thread: undo it."""
    language = translation.get_language()
    yield
    translation.activate(language)
