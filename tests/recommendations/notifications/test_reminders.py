"""Deadline reminders: who gets one, when (in the deadline's time zone), and only once.

The open cycle of the data migration ends on 2027-03-31 at 23:59 in New York
(2027-04-01 03:59 UTC), so its 14-day step falls due on 2027-03-17 at 08:00 New York
time and its 3-day step on 2027-03-28.
"""

from datetime import UTC, datetime, timedelta
from smtplib import SMTPServerDisconnected
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from portal.celery import app
from recommendations import notifications, services
from recommendations.models import MemberState, Notification, Recommendation, Reminder
from recommendations.tasks import send_deadline_reminders
from tests import factories
from tests.factories import STEP_3, STEP_14

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def run(django_capture_on_commit_callbacks, now):
    with django_capture_on_commit_callbacks(execute=True):
        return notifications.reminders_send(now=now)


def sent_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


# --- When ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "step"),
    [
        (datetime(2027, 3, 17, 11, 59, tzinfo=UTC), None),  # 07:59 in New York
        (datetime(2027, 3, 17, 12, 0, tzinfo=UTC), 14),  # 08:00 in New York
        (datetime(2027, 3, 28, 11, 59, tzinfo=UTC), 14),
        (datetime(2027, 3, 28, 12, 0, tzinfo=UTC), 3),
        (datetime(2027, 4, 1, 3, 58, tzinfo=UTC), 3),  # 23:58 on the last day
        (datetime(2027, 4, 1, 3, 59, tzinfo=UTC), None),  # the deadline has passed
        (datetime(2027, 1, 1, tzinfo=UTC), None),
    ],
)
def test_steps_fall_due_in_the_deadlines_time_zone(cycle, now, step):
    # In UTC the deadline falls on April 1st; counted in UTC, each step would fall a
    # day late.
    assert notifications.due_step(deadline=cycle.deadline, zone=NEW_YORK, now=now) == (
        step
    )


# --- Who -----------------------------------------------------------------------------


def test_focal_points_of_states_behind_are_reminded_once_per_step(
    django_capture_on_commit_callbacks, cycle, focal_mex, focal_bra, reviewer
):
    first = run(django_capture_on_commit_callbacks, STEP_14)
    again = run(django_capture_on_commit_callbacks, STEP_14 + timedelta(hours=1))

    # Every participating state is behind: one reminder each, and one digest.
    participating = MemberState.objects.filter(participating=True).count()
    assert len(first) == participating + 1 and again == []
    assert Reminder.objects.filter(days_before=14).count() == participating + 1
    [to_maria] = sent_to(focal_mex)
    assert len(sent_to(focal_bra)) == 1 and len(sent_to(reviewer)) == 1
    assert to_maria.subject == ("14 days left: Mexico has recommendations to report on")
    assert "March 31, 2027, 11:59 p.m. (America/New_York)" in to_maria.body
    assert "https://tip.example.org/en/workspace/MEX/" in to_maria.body
    assert "https://tip.example.org/en/workspace/MEX/questionnaire/" in to_maria.body
    assert "No update may identify a victim." in to_maria.body

    # The 3-day step is another step: once more, once.
    run(django_capture_on_commit_callbacks, STEP_3)
    run(django_capture_on_commit_callbacks, STEP_3)
    assert len(sent_to(focal_mex)) == 2
    assert sent_to(focal_mex)[-1].subject.startswith("3 days left")


def test_the_task_run_twice_sends_once(
    django_capture_on_commit_callbacks, cycle, focal_mex
):
    cycle.deadline = datetime.now(UTC) + timedelta(days=10)
    cycle.save(update_fields=["deadline"])
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deadline_reminders.delay().get() > 0
    with django_capture_on_commit_callbacks(execute=True):
        assert send_deadline_reminders.delay().get() == 0
    assert len(sent_to(focal_mex)) == 1


def test_a_state_that_submitted_everything_is_not_reminded(
    django_capture_on_commit_callbacks, cycle, focal_mex, focal_bra, brazil
):
    numbers = Recommendation.objects.filter(
        instrument=cycle.instrument, addressee="member_states"
    ).values_list("number", flat=True)
    for number in numbers:
        update = services.progress_update_create(
            actor=focal_bra,
            cycle=cycle,
            member_state=brazil,
            recommendation=Recommendation.objects.get(
                instrument=cycle.instrument, number=number
            ),
            content=factories.content(),
        )
        services.progress_update_submit(update=update, actor=focal_bra)

    run(django_capture_on_commit_callbacks, STEP_14)
    assert sent_to(focal_bra) == []
    assert not Reminder.objects.filter(member_state=brazil).exists()
    assert len(sent_to(focal_mex)) == 1


def test_a_draft_or_a_returned_update_does_not_count_as_reported(
    django_capture_on_commit_callbacks, cycle, focal_mex, reviewer, mexico
):
    factories.progress_update(mexico, 1, author=focal_mex, steps=[])
    factories.progress_update(
        mexico,
        2,
        author=focal_mex,
        steps=["submit", "return"],
        reviewer=reviewer,
        comment="Dates?",
    )
    factories.progress_update(mexico, 3, author=focal_mex, steps=["submit"])

    [row] = [
        row
        for row in notifications.states_behind(cycle=cycle)
        if row.member_state == mexico
    ]
    assert 1 in row.missing and 2 in row.missing and 3 not in row.missing
    assert len(row.missing) == 20


def test_an_extension_moves_the_states_reminders(
    django_capture_on_commit_callbacks, cycle, focal_mex, focal_bra, secretariat_admin
):
    services.extension_grant(
        actor=secretariat_admin,
        cycle=cycle,
        member_state=MemberState.objects.get(iso3="MEX"),
        deadline=datetime(2027, 4, 30, 23, 59, tzinfo=NEW_YORK),
    )
    cycle.refresh_from_db()

    run(django_capture_on_commit_callbacks, STEP_14)
    assert sent_to(focal_mex) == [] and len(sent_to(focal_bra)) == 1

    run(django_capture_on_commit_callbacks, datetime(2027, 4, 16, 12, 0, tzinfo=UTC))
    [message] = sent_to(focal_mex)
    assert "as extended for Mexico" in message.body
    assert "April 30, 2027" in message.body


def test_non_participating_states_are_not_reminded(
    django_capture_on_commit_callbacks, cycle
):
    cuba = factories.focal_point("CUB", username="carlos")
    run(django_capture_on_commit_callbacks, STEP_14)
    assert sent_to(cuba) == []
    assert not Reminder.objects.filter(member_state__iso3="CUB").exists()


def test_the_secretariat_gets_one_digest_of_who_has_not_reported(
    django_capture_on_commit_callbacks,
    cycle,
    reviewer,
    secretariat_admin,
    focal_mex,
    mexico,
):
    secretariat_admin.language = "es"
    secretariat_admin.save(update_fields=["language"])
    run(django_capture_on_commit_callbacks, STEP_14)
    run(django_capture_on_commit_callbacks, STEP_14)

    [digest] = sent_to(reviewer)
    participating = MemberState.objects.filter(participating=True).count()
    assert digest.subject == (
        f"14 days to the deadline: {participating} states have not reported"
    )
    assert "- Mexico: 21 recommendations (1, 2, 3" in digest.body
    assert "Cuba" not in digest.body
    assert "https://tip.example.org/en/review/coverage/" in digest.body
    [spanish] = sent_to(secretariat_admin)
    assert spanish.extra_headers["Content-Language"] == "es"
    assert "https://tip.example.org/es/review/coverage/" in spanish.body
    assert "México" in spanish.body
    digest_record = Reminder.objects.get(member_state=None)
    assert {"state": "MEX", "missing": list(range(1, 22))}.items() <= next(
        row for row in digest_record.missing if row["state"] == "MEX"
    ).items()
    # The focal points never see the digest.
    assert all("states have not reported" not in m.subject for m in sent_to(focal_mex))


def test_the_database_refuses_a_second_reminder_for_the_same_step(cycle, mexico):
    Reminder.objects.create(
        cycle=cycle, member_state=mexico, days_before=14, deadline=cycle.deadline
    )
    Reminder.objects.create(
        cycle=cycle, member_state=None, days_before=14, deadline=cycle.deadline
    )
    for state in (mexico, None):
        with pytest.raises(IntegrityError), transaction.atomic():
            Reminder.objects.create(
                cycle=cycle, member_state=state, days_before=14, deadline=cycle.deadline
            )


# --- When sending fails ---------------------------------------------------------------


def test_a_mail_server_failure_is_retried_and_still_sends_once(
    django_capture_on_commit_callbacks, cycle, focal_mex, mexico
):
    real_send = mail.EmailMessage.send
    calls = {"count": 0}

    def flaky(self, *args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 1:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, *args, **kwargs)

    # Only Mexico's focal point is a recipient here: no Secretariat, one email.
    # Eager tasks retry in place only when their errors do not propagate.
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    try:
        with mock.patch.object(mail.EmailMessage, "send", flaky):
            run(django_capture_on_commit_callbacks, STEP_14)
    finally:
        app.conf.task_eager_propagates = propagates

    # The first attempt failed; the task's retry sent it, once.
    notification = Notification.objects.get(recipient=focal_mex)
    assert notification.sent_at is not None and notification.attempts == 2
    assert len(sent_to(focal_mex)) == 1
    # The reminder was claimed before sending: another run finds it and stops.
    run(django_capture_on_commit_callbacks, STEP_14)
    assert len(sent_to(focal_mex)) == 1


def test_a_failed_send_leaves_the_email_pending_for_the_sweep(
    django_capture_on_commit_callbacks, cycle, focal_mex, mexico
):
    with mock.patch.object(
        mail.EmailMessage, "send", side_effect=ConnectionRefusedError("no server")
    ):
        notifications.reminders_send(now=STEP_14)  # queued, not yet delivered
        notification = Notification.objects.get(recipient=focal_mex)
        with pytest.raises(notifications.DeliveryError):
            notifications.notification_deliver(notification=notification)
    notification.refresh_from_db()
    assert notification.sent_at is None and notification.attempted_at is None
    assert "ConnectionRefusedError" in notification.error

    # Later the sweep queues it again, and it goes out.
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notifications_sweep(now=STEP_14 + timedelta(days=1))
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert len(sent_to(focal_mex)) == 1


def test_an_email_whose_worker_died_mid_send_is_not_sent_again(
    django_capture_on_commit_callbacks, cycle, focal_mex
):
    notifications.reminders_send(now=STEP_14)
    notification = Notification.objects.get(recipient=focal_mex)
    # A worker claimed it, then died before recording the result: it may have gone.
    Notification.objects.filter(pk=notification.pk).update(attempted_at=STEP_14)

    assert notifications.notification_deliver(notification=notification) is False
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notifications_sweep(now=STEP_14 + timedelta(days=1))
    assert sent_to(focal_mex) == []
