from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reports and open data")

    def ready(self) -> None:
        # Runs are queued by the task's name; a process that has the task registered
        # (with CELERY_TASK_ALWAYS_EAGER, the tests) runs it instead of sending it.
        from reporting import tasks  # noqa: F401
