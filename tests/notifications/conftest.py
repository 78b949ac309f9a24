import pytest
from django.utils import translation

from recommendations.models import Recommendation
from tests.factories import content


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = "https://tip.example.org"


@pytest.fixture
def file_update(cycle):
    """File a draft through the service, as a focal point or the Secretariat would."""
    from recommendations import services

    def file(actor, member_state, number=3, **overrides):
        return services.progress_update_create(
            actor=actor,
            cycle=cycle,
            member_state=member_state,
            recommendation=Recommendation.objects.get(
                instrument=cycle.instrument, number=number
            ),
            content=content(**overrides),
        )

    return file


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests in other languages leave theirs active in the thread: undo it."""
    language = translation.get_language()
    yield
    translation.activate(language)
