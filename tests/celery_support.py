"""Real Celery in tests: the app pointed at a real broker, workers in threads or
processes, and throwaway redis-servers that a test may stop and start again.

Never the machine's shared Redis for a fault: a test that kills a server kills its own.
"""

import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import after_task_publish, task_postrun
from django.db import connection

from portal.celery import app
from tests import environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def forget_connections() -> None:
    """Drop what Celery caches from its configuration (connection and producer pools,
    queues and routes, the result backend), so the next message follows the
    configuration set now, in this test and in the tests after it."""
    app._pool = None
    app.__dict__.pop("amqp", None)
    app._backend_cache = None
    vars(app._local).pop("backend", None)


@contextmanager
def celery_using(broker_url: str, *, result_backend: str | None = None, queue=None):
    """The Celery app talking to a broker for real (not eager), then as it was."""
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=broker_url,
        result_backend=result_backend,
        task_always_eager=False,
        task_default_queue=queue or saved["task_default_queue"],
    )
    forget_connections()
    try:
        yield app
    finally:
        app.conf.update(saved)
        forget_connections()


@contextmanager
def worker_thread(*queues: str):
    """A real worker, in a thread of this process, taking ``queues``."""
    with start_worker(
        app,
        pool="solo",
        queues=list(queues) or None,
        perform_ping_check=False,
        shutdown_timeout=30,
    ) as worker:
        yield worker


class TaskLog:
    """What this process published and its worker threads finished, in order, so a
    test waits on the event itself rather than sleeping and hoping."""

    def __init__(self):
        self.published: list[str] = []  # task names
        self.finished: dict[str, tuple[str, object]] = {}  # id -> (name, return value)
        self._changed = threading.Condition()

    def on_publish(self, sender=None, headers=None, **kwargs) -> None:
        with self._changed:
            self.published.append(sender or (headers or {}).get("task"))
            self._changed.notify_all()

    def on_postrun(self, task_id=None, task=None, retval=None, **kwargs) -> None:
        with self._changed:
            self.finished[task_id] = (task.name, retval)
            self._changed.notify_all()

    def wait(self, condition, timeout: float = 30) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise AssertionError(
                    f"timed out: published {self.published}, finished "
                    f"{list(self.finished.values())}"
                )

    def result(self, task_id: str, timeout: float = 30):
        """The return value of the task ``task_id``, once a worker has run it."""
        self.wait(lambda: task_id in self.finished, timeout)
        return self.finished[task_id][1]

    def count_finished(self, name: str) -> int:
        return sum(1 for finished, _ in self.finished.values() if finished == name)


@contextmanager
def task_log():
    """A TaskLog of the tasks published and finished inside the block."""
    log = TaskLog()
    after_task_publish.connect(log.on_publish, weak=False)
    task_postrun.connect(log.on_postrun, weak=False)
    try:
        yield log
    finally:
        after_task_publish.disconnect(log.on_publish)
        task_postrun.disconnect(log.on_postrun)


class ThrowawayRedis:
    """A redis-server of the test's own, on a free port, that the test may stop."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def redis_server_program() -> str:
    """The redis-server program; without it the test is skipped, or fails under
    PORTAL_REQUIRE_SERVICES (the fault tests behind it must run in CI)."""
    program = shutil.which("redis-server")
    if program is None:
        why = "redis-server is not installed (apt-get install redis-server)"
        if environment.REQUIRE_SERVICES:
            pytest.fail(f"PORTAL_REQUIRE_SERVICES is set: {why}")
        pytest.skip(why)
    return program


@pytest.fixture
def own_redis(tmp_path):
    """A throwaway redis-server: never the machine's shared one. Yields its object."""
    redis_server_program()
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def database_url() -> str:
    """The test database as a URL, for a worker or server in another process."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("another process needs the test database on PostgreSQL")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
