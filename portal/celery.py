import os
from pathlib import Path

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

from core import request_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every line a task logs carries its id and name (core/logging.py adds them).
task_prerun.connect(request_context.task_started, weak=False)
task_postrun.connect(request_context.task_finished, weak=False)


@setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """The worker and beat log as settings.LOGGING says (JSON in production, secrets
    blanked), not in Celery's own format: a receiver here tells Celery so."""


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender, **kwargs) -> None:
    """Kombu's filesystem transport expects its folders to exist."""
    for key in (
        "data_folder_in",
        "data_folder_out",
        "processed_folder",
        "control_folder",
    ):
        folder = (sender.conf.broker_transport_options or {}).get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
