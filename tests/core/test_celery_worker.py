"""A real worker takes tasks from Redis: not eager mode, not an in-memory broker."""

import pytest

from core.tasks import ping
from tests.celery_support import celery_using, worker_thread
from tests.environment import REDIS_URL, RUN_ID


@pytest.mark.redis
def test_a_worker_runs_the_task_over_redis():
    # A queue of its own, so that concurrent test runs never take each other's tasks.
    queue = f"tests-{RUN_ID}"
    with (
        celery_using(REDIS_URL, result_backend=REDIS_URL, queue=queue) as app,
        worker_thread(queue),
    ):
        result = ping.delay()
        assert not app.conf.task_always_eager
        assert result.get(timeout=20).startswith("pong from ")
        assert result.successful()
