from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, using="default", **kwargs) -> None:
    from django.contrib.auth.management import create_permissions

    from portal.roles import ensure_role_groups

    # Permissions of apps migrated after this one do not exist yet: make them now.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    ensure_role_groups()


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        post_migrate.connect(
            _sync_role_groups, sender=self, dispatch_uid="portal.sync_role_groups"
        )
