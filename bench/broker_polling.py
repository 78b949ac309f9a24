"""How long a line of tasks takes on the embedded broker (Kombu's filesystem
transport), for each polling interval given: one worker, as ./bin/run starts it.

    .venv/bin/python bench/broker_polling.py 1.0 0.1
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TASKS = 40
# The worker's app, with the interval under test in place of the settings' one.
WORKER_APP = """
import os
from django.conf import settings
from portal.celery import app
app.conf.broker_transport_options = {
    **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "polling_interval": float(os.environ["BENCH_POLLING_INTERVAL"]),
}
"""


def measure(interval: float) -> float:
    with tempfile.TemporaryDirectory() as var:
        Path(var, "bench_worker_app.py").write_text(WORKER_APP)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL"}
        }
        env.update(
            SECRET_KEY="bench",
            DEBUG="1",
            PORTAL_VAR_DIR=var,
            BENCH_POLLING_INTERVAL=str(interval),
            PYTHONPATH=f"{var}:{ROOT}",
            DJANGO_SETTINGS_MODULE="portal.settings",
        )
        queue = "import django; django.setup(); from core.tasks import ping\n"
        queue += f"for _ in range({TASKS}): ping.delay()"
        subprocess.run([sys.executable, "-c", queue], env=env, cwd=ROOT, check=True)
        log = Path(var, "worker.log")
        start = time.monotonic()
        with log.open("w") as out:
            worker = subprocess.Popen(
                [
                    Path(sys.executable).with_name("celery"),
                    *("-A", "bench_worker_app", "worker", "-Q", "celery"),
                    *("--concurrency=1", "--without-gossip", "--without-mingle"),
                    "--loglevel=INFO",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=var,
            )
        try:
            while log.read_text().count("succeeded in") < TASKS:
                if time.monotonic() - start > 300:
                    raise SystemExit(f"{interval}: the worker did not finish")
                time.sleep(0.1)
            return time.monotonic() - start
        finally:
            worker.terminate()
            worker.wait()


if __name__ == "__main__":
    print("| polling interval | 40 tasks, worker start included |")
    print("| --- | --- |")
    for interval in [float(arg) for arg in sys.argv[1:]] or [1.0, 0.1]:
        print(f"| {interval} s | {measure(interval):.1f} s |")
