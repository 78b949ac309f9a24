"""History entered in bulk (the demo's) tells nobody, now or through the sweep; the
next real step does. On the embedded defaults a worker looks for its next task
within a fraction of a second, so a notification does not wait behind the others."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from recommendations import notifications, services
from recommendations.models import Notification, ProgressUpdate, UpdateEvent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)


def test_seeding_the_demo_tells_nobody(settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    # Celery is eager here: a queued notification would be written and sent.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert ProgressUpdate.objects.count() > 100
    assert UpdateEvent.objects.filter(action="accepted").exists()
    assert not UpdateEvent.objects.filter(notify=True).exists()
    assert Notification.objects.count() == 0 and mail.outbox == []

    # The sweep, which catches up steps whose notifications were lost, leaves them be.
    later = timezone.now() + timedelta(minutes=15)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.notifications_sweep(now=later) == 0
    assert Notification.objects.count() == 0 and mail.outbox == []


def test_the_first_real_step_after_seeding_is_heard(
    settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    update = ProgressUpdate.objects.filter(
        member_state__iso3="MEX", review_state="submitted"
    ).first()
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_accept(
            update=update,
            actor=User.objects.get(username="reviewer"),
            checklist=CHECKLIST,
        )
    [event] = update.events.filter(action="accepted")
    assert event.notify
    readers = set(Notification.objects.values_list("recipient__username", flat=True))
    assert readers == {"focal-mex"}
    assert [message.to for message in mail.outbox] == [["focal-mex@example.org"]]


def test_the_embedded_broker_is_polled_often():
    """Kombu's filesystem transport waits a whole second between polls by default:
    with 400 tasks queued, the last notification came minutes late."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.CELERY_BROKER_URL, "
            "s.CELERY_BROKER_TRANSPORT_OPTIONS['polling_interval'])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings", "SECRET_KEY": "x"},
    )
    broker, interval = result.stdout.split()
    assert broker == "filesystem://"
    assert float(interval) <= 0.2
