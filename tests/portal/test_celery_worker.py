"""A real worker takes tasks from Redis: not eager mode, not an in-memory broker."""

import pytest
from celery.contrib.testing.worker import start_worker

from portal.celery import app
from portal.tasks import ping
from tests.environment import REDIS_URL, RUN_ID


@pytest.fixture
def redis_worker():
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    # A queue of its own, so that concurrent test runs never take each other's tasks.
    app.conf.update(
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_always_eager=False,
        task_default_queue=f"tests-{RUN_ID}",
    )
    _forget_connections()
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10
        ):
            yield
    finally:
        app.conf.update(saved)
        _forget_connections()


def _forget_connections() -> None:
    # Eager tasks (notifications, reports) cache a producer pool on the broker of the
    # moment and a result backend on the app: the worker's must not outlive it.
    app._pool = None
    app.__dict__.pop("amqp", None)  # its producer pool, queues and routes
    app._backend_cache = None
    vars(app._local).pop("backend", None)


@pytest.mark.redis
def test_a_worker_runs_the_task_over_redis(redis_worker):
    result = ping.delay()
    assert not app.conf.task_always_eager
    assert result.get(timeout=20).startswith("pong from ")
    assert result.successful()
