from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _catalogue_changed(sender, **kwargs) -> None:
    from core import publication

    publication.changed()


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = _("Recommendations and progress")

    def ready(self) -> None:
        # Notifications are queued by their tasks' names; registered here, they also
        # run in-process when CELERY_TASK_ALWAYS_EAGER is on.
        from recommendations import tasks  # noqa: F401

        # Edits in the admin change what public pages show: their cache must go.
        for name in (
            "Instrument",
            "Theme",
            "Recommendation",
            "Footnote",
            "MemberState",
            # Cycle names and meetings show on public pages, in every language.
            "ReportingCycle",
        ):
            model = self.get_model(name)
            post_save.connect(
                _catalogue_changed, sender=model, dispatch_uid=f"pub-{name}"
            )
            post_delete.connect(
                _catalogue_changed, sender=model, dispatch_uid=f"pubd-{name}"
            )
