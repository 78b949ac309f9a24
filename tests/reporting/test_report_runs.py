"""The run lifecycle: claims and attempts, the heartbeat, the sweep of lost runs, and
queueing the compile task by its name."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from celery import current_app
from django.db import OperationalError
from django.utils import timezone

from reporting import pdf, pipeline, runs, services, tasks
from reporting.models import ReportRun
from reporting.runs import RunAbandoned
from tests import factories

State = ReportRun.State


def failing_layout(error: Exception):
    def layout(html):
        raise error

    return layout


# --- Attempts -----------------------------------------------------------------------


@pytest.mark.django_db
def test_running_a_finished_run_again_does_nothing(cycle):
    run = factories.finished_report_run(cycle, attempts=1)
    assert runs.report_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.SUCCEEDED, 1)


@pytest.mark.django_db
def test_a_second_delivery_leaves_a_live_run_to_its_worker(cycle):
    run = factories.running_report_run(cycle, attempts=1, beat_ago=1)
    assert runs.report_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.RUNNING, 1)


@pytest.mark.django_db
def test_a_run_out_of_attempts_fails_with_a_message(cycle, settings):
    # A task redelivered after its worker died, with no attempt left.
    run = factories.running_report_run(
        cycle, attempts=3, beat_ago=settings.REPORT_STALE_SECONDS + 5
    )
    assert runs.report_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.state == State.FAILED
    assert run.attempts == 3
    assert "not compiled after 3 attempts" in run.error


@pytest.mark.django_db
def test_a_compile_that_raises_fails_at_once_with_its_reason(cycle, monkeypatch):
    monkeypatch.setattr(pdf, "layout", failing_layout(RuntimeError("no fonts")))
    run = factories.report_run(cycle)
    runs.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.state == State.FAILED
    assert run.attempts == 1
    assert run.error == "The report could not be compiled: RuntimeError: no fonts"
    assert run.finished_at is not None
    assert not run.pdf


@pytest.mark.django_db
def test_a_passing_database_error_is_tried_again_within_the_attempts(
    cycle, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf, "layout", failing_layout(OperationalError("gone away")))
    queued = []
    monkeypatch.setattr(
        runs, "enqueue", lambda run_id, countdown=None: queued.append(run_id)
    )
    run = factories.report_run(cycle, max_attempts=2)

    with django_capture_on_commit_callbacks(execute=True):
        runs.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.QUEUED, 1)
    assert "Attempt 1 of 2 failed (OperationalError: gone away)" in run.error
    assert queued == [run.pk]

    with django_capture_on_commit_callbacks(execute=True):
        runs.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.FAILED, 2)
    assert "OperationalError: gone away" in run.error
    assert queued == [run.pk]


@pytest.mark.django_db
def test_an_attempt_taken_over_by_the_sweep_stores_nothing(cycle, monkeypatch):
    # While the first attempt lays out the pages, the sweep gives the run to another.
    real_layout = pdf.layout

    def layout_then_lose(html):
        ReportRun.objects.filter(pk=run.pk).update(state=State.QUEUED, attempts=2)
        return real_layout(html)

    monkeypatch.setattr(pdf, "layout", layout_then_lose)
    run = factories.report_run(cycle)
    assert runs.report_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert (run.state, run.attempts, run.sha256) == (State.QUEUED, 2, "")
    assert not run.pdf


@pytest.mark.django_db
def test_a_lost_attempt_cannot_beat_for_the_next(cycle):
    run = factories.running_report_run(cycle, attempts=2)
    assert runs._touch(run.pk, 2, progress=60)
    assert not runs._touch(run.pk, 1, progress=70)
    run.refresh_from_db()
    assert run.progress == 60
    with pytest.raises(RunAbandoned):
        runs._Heartbeat(run.pk, 1).progress("rendering", 70)


# --- The sweep ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_requeues_a_run_whose_worker_died(
    cycle, settings, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        runs, "enqueue", lambda run_id, countdown=None: queued.append(run_id)
    )
    lost = factories.running_report_run(
        cycle, attempts=1, beat_ago=settings.REPORT_STALE_SECONDS + 5
    )
    alive = factories.running_report_run(cycle, attempts=1, beat_ago=1)

    with django_capture_on_commit_callbacks(execute=True):
        result = runs.report_runs_sweep()

    assert result.requeued == [lost.pk] and result.failed == []
    lost.refresh_from_db()
    assert (lost.state, lost.stage, lost.progress) == (State.QUEUED, "queued", 0)
    assert lost.error == (
        "The worker compiling the report stopped answering during attempt 1 of 3. "
        "The report will be tried again."
    )
    assert queued == [lost.pk]
    alive.refresh_from_db()
    assert alive.state == State.RUNNING


@pytest.mark.django_db
def test_the_sweep_fails_a_lost_run_with_no_attempt_left(cycle, settings):
    lost = factories.running_report_run(
        cycle, attempts=3, beat_ago=settings.REPORT_STALE_SECONDS + 5
    )
    result = runs.report_runs_sweep()
    assert result.failed == [lost.pk]
    lost.refresh_from_db()
    assert lost.state == State.FAILED
    assert "stopped answering during attempt 3 of 3" in lost.error
    assert "No attempt is left" in lost.error


@pytest.mark.django_db
def test_the_sweep_fails_runs_that_wait_or_run_too_long(cycle, settings):
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_MAX_SECONDS + 60)
    endless = factories.running_report_run(cycle, attempts=1, beat_ago=0)
    ReportRun.objects.filter(pk=endless.pk).update(started_at=long_ago)
    forgotten = factories.report_run(
        cycle,
        queued_at=timezone.now()
        - timedelta(seconds=settings.REPORT_QUEUED_EXPIRY_SECONDS + 60),
    )
    waiting = factories.report_run(cycle)

    result = runs.report_runs_sweep()

    assert sorted(result.failed) == sorted([endless.pk, forgotten.pk])
    endless.refresh_from_db()
    forgotten.refresh_from_db()
    waiting.refresh_from_db()
    assert "took longer than 60 minutes" in endless.error
    assert "No worker took the report up" in forgotten.error
    assert f"“{settings.REPORTS_QUEUE}” queue" in forgotten.error
    assert waiting.state == State.QUEUED


# --- Queueing -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_is_queued_by_the_task_name_on_the_reports_queue(
    cycle, settings, monkeypatch
):
    # Given a broker that takes the message (not the eager mode of the unit tests)
    sent = []

    class Sent:
        id = "task-1"

    def send_task(name, args=None, kwargs=None, **options):
        sent.append((name, list(args), options))
        return Sent()

    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(current_app, "send_task", send_task)
    run = factories.report_run(cycle)

    # When the run is queued again, a little later
    runs.enqueue(run.pk, countdown=10)

    # Then the worker's task gets it on the reports queue, and the run knows its task
    [(name, args, options)] = sent
    assert name == runs.COMPILE_TASK == tasks.compile_report_run.name
    assert args == [run.pk]
    assert options["queue"] == settings.REPORTS_QUEUE
    assert (options["countdown"], options["retry"]) == (10, False)
    run.refresh_from_db()
    assert run.task_id == "task-1"


def test_the_services_and_the_lifecycle_never_import_the_task_module():
    # The task module imports them: an import back would be a cycle.
    for module in (services, runs, pipeline, pdf):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
        assert "reporting.tasks" not in imported, module.__name__
