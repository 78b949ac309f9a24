"""Emails and notifications give the catalogue's texts in the recipient's language,
and say so when one is a working translation, with the English text beside it."""

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from recommendations import notifications
from recommendations.models import Notification
from recommendations.translations.texts import translate
from tests import factories
from tests.factories import STEP_14

pytestmark = pytest.mark.django_db

AUTHORITATIVE = "the English text is authoritative"


def working_note(language: str, cycle) -> str:
    """The email's note on a working translation, as the recipient reads it (spaces
    squeezed: French puts no-break spaces around its quotes and colons)."""
    with translation.override(language):
        note = gettext(
            "“%(name)s” is a working translation; the English text is "
            "authoritative: “%(english)s”."
        ) % {"name": translate(cycle, "name", language).text, "english": cycle.name}
    return " ".join(note.split())


def remind(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.reminders_send(now=STEP_14)


def sent_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_a_reminder_names_the_cycle_in_the_recipients_language(
    django_capture_on_commit_callbacks, cycle, language
):
    focal = factories.focal_point("MEX", username="lucia", language=language)
    english = factories.focal_point("MEX", username="emma", language="en")

    remind(django_capture_on_commit_callbacks)

    [theirs] = sent_to(focal)
    [emmas] = sent_to(english)
    name = translate(cycle, "name", language).text
    assert name != cycle.name
    assert name in theirs.body
    assert working_note(language, cycle) in " ".join(theirs.body.split())
    assert working_note(language, cycle) != working_note("en", cycle)
    assert theirs.extra_headers["Content-Language"] == language
    assert f"“{cycle.name}”" in emmas.body and AUTHORITATIVE not in emmas.body


def test_the_digest_names_the_cycle_in_the_recipients_language(
    django_capture_on_commit_callbacks, cycle
):
    reviewer = factories.secretariat(username="rene", language="fr")

    remind(django_capture_on_commit_callbacks)

    [digest] = sent_to(reviewer)
    assert translate(cycle, "name", "fr").text in digest.body
    assert working_note("fr", cycle) in " ".join(digest.body.split())


def test_an_official_translation_carries_no_note(
    django_capture_on_commit_callbacks, cycle
):
    cycle.translations["es"]["name"] = {
        "text": "Octava Reunión",
        "standing": "official",
        "reference": "OEA/Ser.K/XXXIX.8",
    }
    cycle.save(update_fields=["translations"])
    focal = factories.focal_point("MEX", username="lucia", language="es")

    remind(django_capture_on_commit_callbacks)

    [theirs] = sent_to(focal)
    assert "“Octava Reunión”" in theirs.body
    assert "auténtico" not in theirs.body and AUTHORITATIVE not in theirs.body


def test_the_notification_page_marks_a_message_in_another_language(
    client, django_capture_on_commit_callbacks, cycle
):
    focal = factories.focal_point("MEX", username="lucia", language="es")
    remind(django_capture_on_commit_callbacks)
    notification = Notification.objects.get(recipient=focal)
    client.force_login(focal)

    english_page = client.get("/en/accounts/notifications/").content.decode()
    spanish_page = client.get("/es/accounts/notifications/").content.decode()

    assert notification.language == "es"
    assert '<h2 class="card__title" lang="es">' in english_page
    assert '<div class="prose" lang="es">' in english_page
    assert 'lang="es"' not in spanish_page.split("<main", 1)[1]
