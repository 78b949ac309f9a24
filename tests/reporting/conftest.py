"""Fixtures of the report tests: a few accepted updates, a real worker over Redis."""

import pytest

from tests import factories
from tests.celery_support import celery_using, worker_thread
from tests.environment import REDIS_URL, RUN_ID


@pytest.fixture
def some_updates(cycle, focal_mex, focal_bra, reviewer, mexico, brazil):
    """A few accepted updates: enough for a short report."""
    return [
        factories.progress_update(
            mexico, 1, author=focal_mex, reviewer=reviewer, cycle=cycle
        ),
        factories.progress_update(
            brazil,
            7,
            author=focal_bra,
            reviewer=reviewer,
            cycle=cycle,
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
