"""Report runs through real Celery workers over Redis: not eager mode.

A worker in a thread takes a run from queued to succeeded; a compile that raises
ends failed with its reason; a worker process killed in the middle of a report is
caught by the heartbeat sweep, which queues the run again or, with no attempt left,
fails it with a message. The kill test runs its own throwaway redis-server, so the
message its dead worker never acknowledged dies with it.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from reporting import pdf, services
from reporting.models import ReportRun
from tests.celery_support import celery_using, database_url, worker_thread
from tests.environment import RUN_ID

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90
State = ReportRun.State

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def follow(run: ReportRun, *, until, timeout: float = TIMEOUT) -> list[tuple]:
    """Poll the run (as its page does) until ``until(run)``; what was seen, in order."""
    seen: list[tuple] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        step = (run.state, run.stage, run.progress)
        if not seen or seen[-1] != step:
            seen.append(step)
        if until(run):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"Run {run.pk} never got there; seen: {seen}")


def finished(run: ReportRun) -> bool:
    return run.state in (State.SUCCEEDED, State.FAILED)


def test_a_worker_takes_a_run_from_queued_to_a_stored_pdf(
    some_updates, reviewer, cycle, report_worker
):
    # (The data first: accepting updates queues notifications, eagerly until then.)
    # Given the Secretariat asks for the report
    run = services.report_run_request(actor=reviewer, cycle=cycle, language="en")
    assert run.task_id or ReportRun.objects.get(pk=run.pk).task_id

    # When the worker takes it, the bar moves through the stages
    seen = follow(run, until=finished)
    assert run.state == State.SUCCEEDED, run.error
    states = [state for state, _stage, _progress in seen]
    assert states.index("running") < states.index("succeeded")
    progress = [p for state, _stage, p in seen if state == "running"]
    assert progress == sorted(progress)
    assert any(0 < p < 100 for p in progress)

    # Then the PDF is stored, outside any public folder, with its checksum
    assert (run.progress, run.attempts) == (100, 1)
    path = Path(run.pdf.path)
    assert path.is_file() and path.read_bytes().startswith(b"%PDF")
    assert run.page_count > 10 and len(run.sha256) == 64


def test_a_compile_that_fails_in_the_worker_ends_failed_with_its_reason(
    report_worker, reviewer, cycle, monkeypatch
):
    def broken_layout(html):
        raise RuntimeError("the fonts are gone")

    monkeypatch.setattr(pdf, "layout", broken_layout)
    run = services.report_run_request(actor=reviewer, cycle=cycle, language="es")
    follow(run, until=finished)
    assert run.state == State.FAILED
    assert run.attempts == 1
    assert "RuntimeError: the fonts are gone" in run.error


# --- A worker killed in the middle --------------------------------------------------


@pytest.fixture
def worker_process(own_redis, report_queue, tmp_path):
    """Start a Celery worker process over the throwaway Redis; the test kills it."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": own_redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "REPORTS_QUEUE": report_queue,
    }
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "portal", "worker"),
            *("-Q", report_queue, "-P", "solo", "-c", "1", "-l", "WARNING"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("-n", f"killed-{RUN_ID}@%h"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        log.close()


@pytest.mark.postgres
@pytest.mark.parametrize("attempts", [2, 1])
def test_a_run_whose_worker_was_killed_is_retried_or_failed(
    worker_process,
    own_redis,
    report_queue,
    client,
    reviewer,
    cycle,
    some_updates,
    settings,
    attempts,
):
    settings.REPORT_MAX_ATTEMPTS = attempts
    settings.REPORT_STALE_SECONDS = 3
    with celery_using(own_redis.url):
        # Given a worker process that took the run and is rendering it
        run = services.report_run_request(actor=reviewer, cycle=cycle, language="en")
        follow(run, until=lambda r: r.state == State.RUNNING and r.progress >= 30)
        assert run.attempts == 1 and run.progress < 100

        # When the worker dies without a word (out of memory, a lost machine)
        os.kill(worker_process.pid, signal.SIGKILL)
        worker_process.wait(10)

        # Then the run stays "running" only until its heartbeat is stale
        run.refresh_from_db()
        assert run.state == State.RUNNING
        time.sleep(settings.REPORT_STALE_SECONDS + 1)
        client.force_login(reviewer)
        status = client.get(f"/en/reports/runs/{run.pk}/status/").json()
        run.refresh_from_db()
        assert run.attempts == 1
        assert f"stopped answering during attempt 1 of {attempts}" in run.error

        if attempts == 1:
            # ... and with no attempt left it fails, saying why
            assert (run.state, status["state"]) == (State.FAILED, "failed")
            assert "No attempt is left" in status["message"]
            assert run.finished_at is not None
            return

        # ... and with an attempt left it is queued again, and a new worker finishes it
        assert (run.state, status["state"]) == (State.QUEUED, "queued")
        assert "will be tried again" in status["message"]
        with worker_thread(report_queue):
            follow(run, until=finished)
        assert run.state == State.SUCCEEDED, run.error
        assert run.attempts == 2
        assert run.error == ""
        assert run.finished_at > run.requested_at
        assert run.started_at < timezone.now()
