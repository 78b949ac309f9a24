"""The reminder task through a real Celery worker over Redis, not in eager mode."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from portal.celery import app
from recommendations.models import MemberState, Notification, Reminder, ReportingCycle
from recommendations.tasks import send_deadline_reminders
from tests import factories
from tests.celery_support import celery_using, worker_thread
from tests.environment import REDIS_URL, RUN_ID


@pytest.fixture
def redis_worker():
    # A queue of its own, so that concurrent test runs never take each other's tasks.
    queue = f"tests-{RUN_ID}"
    with (
        celery_using(REDIS_URL, result_backend=REDIS_URL, queue=queue),
        worker_thread(queue),
    ):
        yield


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.2)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_sends_each_reminder_once(redis_worker, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cycle = ReportingCycle.objects.get(is_open=True)
    cycle.deadline = datetime.now(UTC) + timedelta(days=10)
    cycle.save(update_fields=["deadline"])
    focal_mex = factories.focal_point("MEX", username="maria")
    reviewer = factories.secretariat(username="rita")

    result = send_deadline_reminders.delay()
    assert not app.conf.task_always_eager
    participating = MemberState.objects.filter(participating=True).count()
    assert result.get(timeout=30) == participating + 1  # each state and the digest
    # Each email is a task of its own, taken by the worker from Redis.
    wait_for(lambda: Notification.objects.filter(sent_at__isnull=False).count() == 2)

    # Beat fires again (or a second beat runs): nothing more is sent.
    assert send_deadline_reminders.delay().get(timeout=30) == 0
    assert Reminder.objects.filter(days_before=14).count() == participating + 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [focal_mex.email, reviewer.email]
    )
