"""Helpers of the report tests: accepted updates, runs in each state, PDF text, a real
worker over Redis."""

import re
import subprocess
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from recommendations import services
from recommendations.models import ProgressUpdate, Recommendation
from reporting.models import ReportRun
from tests import factories
from tests.celery_support import celery_using, worker_thread
from tests.environment import REDIS_URL, RUN_ID

CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)


def accept(*, cycle, state, number, author, reviewer, **content) -> ProgressUpdate:
    """An update filed by ``author`` and accepted by ``reviewer``, as in real life."""
    update = services.progress_update_create(
        actor=author,
        cycle=cycle,
        member_state=state,
        recommendation=Recommendation.objects.get(
            instrument=cycle.instrument, number=number
        ),
        content=factories.content(**content),
    )
    services.progress_update_submit(update=update, actor=author)
    return services.progress_update_accept(
        update=update, actor=reviewer, checklist=CHECKLIST
    )


def make_run(cycle, **fields) -> ReportRun:
    now = timezone.now()
    values = {"language": "en", "as_of": now, "queued_at": now, "max_attempts": 3}
    values.update(fields)
    return ReportRun.objects.create(cycle=cycle, **values)


def finished_run(cycle, **fields) -> ReportRun:
    run = make_run(
        cycle,
        state=ReportRun.State.SUCCEEDED,
        progress=100,
        stage=ReportRun.Stage.DONE,
        sha256="0" * 64,
        page_count=1,
        **fields,
    )
    run.pdf.save(f"{run.pk}.pdf", ContentFile(b"%PDF-1.4 a report"), save=True)
    return run


def running(cycle, *, attempts=1, beat_ago=0, **fields) -> ReportRun:
    """A run some worker is compiling, whose last heartbeat was ``beat_ago`` s ago."""
    beat = timezone.now() - timedelta(seconds=beat_ago)
    return make_run(
        cycle,
        state=ReportRun.State.RUNNING,
        stage=ReportRun.Stage.RENDERING,
        progress=50,
        attempts=attempts,
        started_at=beat,
        heartbeat_at=beat,
        **fields,
    )


def pdf_text(data: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it, in reading order."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def squeeze(text: str) -> str:
    """Text without white space or hyphens: lines break anywhere in a PDF, and
    pdftotext joins "gender-" and "based" on the next line into "genderbased"."""
    return re.sub(r"[\s-]+", "", text)


@pytest.fixture
def some_updates(cycle, focal_mex, focal_bra, reviewer, mexico, brazil):
    """A few accepted updates: enough for a short report."""
    return [
        accept(
            cycle=cycle, state=mexico, number=1, author=focal_mex, reviewer=reviewer
        ),
        accept(
            cycle=cycle,
            state=brazil,
            number=7,
            author=focal_bra,
            reviewer=reviewer,
            status="fully_implemented",
        ),
    ]


@pytest.fixture
def report_queue(settings) -> str:
    """A reports queue of this test run's own, so concurrent runs never collide."""
    settings.REPORTS_QUEUE = f"reports-tests-{RUN_ID}"
    return settings.REPORTS_QUEUE


@pytest.fixture
def celery_over_redis(report_queue):
    """The Celery app over the test Redis, with this run's reports queue."""
    with celery_using(REDIS_URL) as celery:
        try:
            yield celery
        finally:
            with celery.connection_for_write() as connection:
                connection.default_channel.queue_purge(report_queue)


@pytest.fixture
def report_worker(celery_over_redis, report_queue):
    """A real worker, in a thread, taking this run's reports queue from Redis."""
    with worker_thread(report_queue) as worker:
        yield worker
