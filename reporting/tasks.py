"""Celery tasks of the reports: thin, by id, safe to run twice."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import connection

from reporting import runs

logger = logging.getLogger(__name__)


@shared_task(
    name=runs.COMPILE_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def compile_report_run(run_id: int) -> None:
    """Compile a report run; a duplicate delivery finds it taken or done."""
    runs.report_run_execute(run_id=run_id)


# The sections of a draft (reporting.parallel): a chord, so their results go to the
# result backend (None: the files on the shared volume are the real output). A worker
# that dies mid-section gives its message back, and only that section runs again.
@shared_task(name=runs.SECTION_TASK, acks_late=True, reject_on_worker_lost=True)
def render_report_section(run_id: int, attempt: int, index: int) -> None:
    runs.report_section_render(run_id=run_id, attempt=attempt, index=index)


@shared_task(
    name=runs.MERGE_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def merge_report_sections(run_id: int, attempt: int) -> None:
    """The chord's callback; a duplicate delivery finds the run stored."""
    runs.report_sections_merge(run_id=run_id, attempt=attempt)


@shared_task(ignore_result=True)
def sweep_report_runs() -> dict[str, list[int]]:
    """Requeue or fail the runs a worker lost (Celery beat, every minute)."""
    result = runs.report_runs_sweep()
    return {"requeued": result.requeued, "failed": result.failed}


@worker_ready.connect
def _sweep_when_a_worker_starts(sender=None, **kwargs) -> None:
    # A worker restarted after a crash finds the run it was compiling.
    try:
        runs.report_runs_sweep()
    except Exception:
        logger.exception("Could not sweep the report runs at worker start")
    finally:
        if not connection.in_atomic_block:
            connection.close()
