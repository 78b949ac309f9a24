"""The portal keeps working when its parts fail, shown against real services: a
throwaway redis-server that each test starts and kills (never the machine's shared
one), and PostgreSQL connections cut with pg_terminate_backend under a running app.

The fourth fault, a worker killed in the middle of a report, is shown in
tests/reporting/test_report_worker.py (test_a_run_whose_worker_was_killed_...).
"""

import os
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from django.core import mail
from django.db import connection
from django.db.models import F

from recommendations import services
from recommendations.models import (
    Notification,
    ProgressUpdate,
    Recommendation,
    ReviewState,
    UpdateEvent,
)
from recommendations.tasks import sweep_notifications
from reporting.models import ReportRun
from tests.celery_support import (
    celery_using,
    database_url,
    free_port,
    task_log,
    wait_for_port,
    worker_thread,
)
from tests.environment import RUN_ID
from tests.factories import content

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.redis
def test_redis_down_when_a_focal_point_submits(
    client, own_redis, focal_mex, reviewer, secretariat_admin, cycle, mexico
):
    queue = f"faults-{RUN_ID}"
    draft = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=4),
        content=content(),
    )
    with celery_using(own_redis.url, queue=queue):
        # Given the broker is down
        own_redis.stop()
        # When the focal point submits
        client.force_login(focal_mex)
        started = time.monotonic()
        response = client.post(f"/en/updates/{draft.pk}/submit/", follow=True)
        waited = time.monotonic() - started
        # Then the submission is saved and says so; no email could go yet
        assert response.status_code == 200
        assert "Submitted to the Secretariat for review." in response.content.decode()
        assert (
            ProgressUpdate.objects.get(pk=draft.pk).review_state
            == ReviewState.SUBMITTED
        )
        assert mail.outbox == []
        print(f"submitting with the broker down took {waited:.1f}s")

        # When the broker is back half an hour later and the periodic sweep runs
        UpdateEvent.objects.filter(update=draft).update(
            created_at=F("created_at") - timedelta(minutes=30)
        )
        own_redis.start()
        with task_log() as log, worker_thread(queue):
            sweep = sweep_notifications.delay()
            assert log.result(sweep.id) == 2  # two emails queued
            log.wait(lambda: log.count_finished("portal.deliver_notification") == 2)
        # Then the Secretariat hears of the submission, each person once
        recipients = sorted(
            address for message in mail.outbox for address in message.to
        )
        assert recipients == sorted([reviewer.email, secretariat_admin.email])
        assert Notification.objects.filter(sent_at__isnull=False).count() == 2

        # And another sweep half an hour later (past its grace period, so the sent
        # emails are in its sight), run to its end, queues and sends nothing twice
        Notification.objects.update(created_at=F("created_at") - timedelta(minutes=30))
        with task_log() as log, worker_thread(queue):
            sweep = sweep_notifications.delay()
            assert log.result(sweep.id) == 0
        assert log.published == ["portal.sweep_notifications"]
        assert len(mail.outbox) == 2


@pytest.mark.redis
def test_redis_down_when_the_secretariat_asks_for_a_report(client, own_redis, reviewer):
    with celery_using(own_redis.url):
        own_redis.stop()
        client.force_login(reviewer)
        response = client.post(
            "/en/reports/generate/",
            {"language": "en", "cycle": "eighth-meeting"},
            follow=True,
        )
    assert response.status_code in (200, 503)
    assert "The job queue is not answering" in response.content.decode()
    assert not ReportRun.objects.exists()  # nothing half-written


@pytest.mark.postgres
def test_postgres_connections_cut_under_the_running_app(tmp_path, focal_mex):
    # Given the portal running under gunicorn, holding its database connections open
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "600",
        "SECRET_KEY": "fault-test-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_VAR_DIR": str(tmp_path),
        "DEBUG": "0",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:  # the test's own connection is spared
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]

    def get(path: str, cookie: str = "") -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
        if cookie:
            request.add_header("Cookie", cookie)  # a session: no cached page
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status

    try:
        wait_for_port(port, timeout=30)
        for _ in range(6):
            assert get("/readyz") == 200
            assert get("/en/states/MEX/", cookie="sessionid=none") == 200
        # When PostgreSQL cuts every connection the app holds
        with psycopg2.connect(database_url()) as admin, admin.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
                [name, own_pid],
            )
            cut = cursor.fetchone()[0]
        assert cut >= 1
        # Then the next requests succeed, on new connections
        statuses = [get("/en/states/MEX/", cookie="sessionid=none") for _ in range(10)]
        statuses += [get("/readyz") for _ in range(4)]
        assert statuses == [200] * 14
    finally:
        server.terminate()
        server.wait(15)
