from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, using="default", **kwargs) -> None:
    from django.contrib.auth.management import create_permissions

    from accounts.roles import ensure_role_groups

    # Permissions of apps migrated after this one do not exist yet: make them now.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    ensure_role_groups()


class AccountsConfig(AppConfig):
    name = "accounts"
    # The label the app had as "portal": its tables, migrations, permissions and
    # AUTH_USER_MODEL ("portal.User") stay as deployed databases know them.
    label = "portal"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        post_migrate.connect(
            _sync_role_groups, sender=self, dispatch_uid="portal.sync_role_groups"
        )
        _connect_audit_trail()


def _connect_audit_trail() -> None:
    from auditlog.models import LogEntry
    from axes.signals import user_locked_out
    from django.contrib.auth import signals as auth_signals
    from django.db.models.signals import post_save, pre_save

    from accounts import audit, lockout, tokens
    from accounts.models import User

    audit.register_models()
    for signal, receiver in (
        (auth_signals.user_logged_in, audit.on_logged_in),
        (auth_signals.user_logged_out, audit.on_logged_out),
        (auth_signals.user_login_failed, audit.on_login_failed),
        (user_locked_out, audit.on_locked_out),
    ):
        signal.connect(receiver, dispatch_uid=f"accounts.audit.{receiver.__name__}")
    pre_save.connect(
        audit.fill_actor, sender=LogEntry, dispatch_uid="accounts.audit.fill_actor"
    )
    auth_signals.user_login_failed.connect(
        lockout.on_login_failed, dispatch_uid="accounts.lockout.on_login_failed"
    )
    post_save.connect(
        tokens.follow_the_account,
        sender=User,
        dispatch_uid="accounts.tokens.follow_the_account",
    )
