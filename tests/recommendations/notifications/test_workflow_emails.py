"""Emails on each step of the review, read from Django's locmem outbox.

The cast: Maria (focal point of Mexico), Bruno (Brazil), Rita (reviewer), Alba
(admin). Hooks queue their tasks with transaction.on_commit; eager Celery runs them
when the test executes the captured callbacks.
"""

import pytest
from django.core import mail

from recommendations import services
from recommendations.models import Notification, UpdateEvent
from recommendations.tasks import notify_update_event
from tests import factories

pytestmark = pytest.mark.django_db

CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def test_a_submission_emails_the_secretariat_after_commit(
    django_capture_on_commit_callbacks,
    focal_mex,
    focal_bra,
    reviewer,
    secretariat_admin,
    mexico,
):
    draft = factories.progress_update(mexico, 3, author=focal_mex, steps=[])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.progress_update_submit(update=draft, actor=focal_mex)
    # Nothing goes out before the transaction commits.
    assert mail.outbox == [] and len(callbacks) >= 1
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [reviewer.email, secretariat_admin.email]
    )
    message = sent_to(reviewer.email)[0]
    assert message.subject == (
        "Submitted for review: Mexico on recommendation 3. Misuse of ICTs and digital "
        "platforms"
    )
    assert f"https://tip.example.org/en/updates/{draft.pk}/" in message.body
    assert "A national plan is under way" in message.body  # the public summary
    assert message.extra_headers["Content-Language"] == "en"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    # Focal points, and Brazil's above all, hear nothing of it.
    assert not sent_to(focal_mex.email) and not sent_to(focal_bra.email)
    notification = Notification.objects.get(recipient=reviewer)
    assert notification.kind == Notification.Kind.SUBMITTED
    assert notification.update == draft and notification.sent_at is not None
    assert notification.subject == message.subject and notification.body == message.body


def test_a_returned_update_emails_the_states_focal_points_with_the_comment(
    django_capture_on_commit_callbacks,
    focal_mex,
    focal_bra,
    reviewer,
    mexico,
):
    colleague = factories.focal_point("MEX", username="mateo")
    draft = factories.progress_update(mexico, 5, author=focal_mex, steps=["submit"])
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_return(
            update=draft, actor=reviewer, comment="Say which ministries took part."
        )

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [focal_mex.email, colleague.email]
    )
    message = sent_to(focal_mex.email)[0]
    assert message.subject == (
        "Returned to you: Mexico on recommendation 5. Public procurement free of "
        "exploitation"
    )
    assert "Say which ministries took part." in message.body
    assert f"/en/updates/{draft.pk}/" in message.body
    assert not sent_to(focal_bra.email) and not sent_to(reviewer.email)


def test_an_accepted_update_emails_the_focal_points(
    django_capture_on_commit_callbacks, focal_mex, reviewer, mexico
):
    draft = factories.progress_update(mexico, 7, author=focal_mex, steps=["submit"])
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_accept(
            update=draft, actor=reviewer, checklist=CHECKLIST
        )
    [message] = mail.outbox
    assert message.to == [focal_mex.email]
    assert message.subject == (
        "Accepted: Mexico on recommendation 7. "
        "Workers\u2019 rights and reporting channels"
    )
    assert "In progress" in message.body


@pytest.mark.parametrize("language", ["es", "fr", "pt"])
def test_each_person_gets_the_email_in_their_language(
    django_capture_on_commit_callbacks,
    focal_mex,
    reviewer,
    mexico,
    language,
):
    focal_mex.language = language
    focal_mex.save(update_fields=["language"])
    draft = factories.progress_update(mexico, 4, author=focal_mex, steps=["submit"])
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_return(update=draft, actor=reviewer, comment="Dates?")

    [message] = mail.outbox
    assert message.extra_headers["Content-Language"] == language
    assert f"https://tip.example.org/{language}/updates/{draft.pk}/" in message.body
    # The state's name comes from CLDR in each language.
    name = getattr(mexico, f"name_{language}")
    assert name in message.subject
    notification = Notification.objects.get(recipient=focal_mex)
    assert notification.language == language
    assert notification.link.endswith(f"/{language}/updates/{draft.pk}/")


def test_the_reviewer_and_the_submitter_do_not_email_themselves(
    django_capture_on_commit_callbacks, reviewer, secretariat_admin, mexico
):
    # The Secretariat enters an update on Mexico's behalf and submits it.
    draft = factories.progress_update(
        mexico,
        6,
        author=reviewer,
        steps=[],
        on_behalf_reference="Note OEA/123 of 2 May",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_submit(update=draft, actor=reviewer)
    [message] = mail.outbox
    assert message.to == [secretariat_admin.email]
    assert "on the state's behalf" in message.body


def test_a_repeated_task_sends_nothing_twice(
    django_capture_on_commit_callbacks, focal_mex, reviewer, mexico
):
    draft = factories.progress_update(mexico, 8, author=focal_mex, steps=[])
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_submit(update=draft, actor=focal_mex)
    assert len(mail.outbox) == 1
    event = UpdateEvent.objects.get(update=draft, action="submitted")

    # A worker that died after sending gets the task again: nothing more goes out.
    with django_capture_on_commit_callbacks(execute=True):
        notify_update_event.delay(event.pk)
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(event=event).count() == 1


def test_inactive_people_get_no_email(
    django_capture_on_commit_callbacks, focal_mex, reviewer, mexico
):
    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])
    draft = factories.progress_update(mexico, 9, author=focal_mex, steps=[])
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_submit(update=draft, actor=focal_mex)
    assert mail.outbox == [] and not Notification.objects.exists()
