import hashlib
import uuid
from typing import Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken, AuthTokenManager
from knox.settings import CONSTANTS as KNOX


class Role(models.TextChoices):
    """The portal's roles; each is a group of the same name (see accounts.roles)."""

    FOCAL_POINT = "focal_point", _("National focal point")
    REVIEWER = "reviewer", _("Secretariat reviewer")
    ADMIN = "admin", _("Secretariat admin")


class User(AbstractUser):  # type: ignore[django-manager-missing]  # knox's untyped base
    email = models.EmailField(_("email address"))
    language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language of the emails the portal sends you."),
    )
    # Notifications created after this are unread: one cheap count for the
    # navigation, rather than a flag to write on every notification.
    notifications_seen_at = models.DateTimeField(
        _("notifications last read"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="unique_user_email_ci"),
        ]
        permissions = [("manage_users", _("Can invite users and manage their roles"))]


# Whom a request comes from: a signed-in person or an anonymous visitor.
AnyUser = User | AnonymousUser


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> Self:
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )


class Invitation(models.Model):
    """A one-time link, sent by email, to join the portal in a role."""

    email = models.EmailField(_("email address"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(
        _("role"), max_length=20, choices=Role, default=Role.FOCAL_POINT
    )
    member_state = models.ForeignKey(
        "recommendations.MemberState",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("member state"),
        related_name="invitations",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    # Only a hash is stored: a leaked database does not leak usable links.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="invitations_sent",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
        verbose_name=_("account created"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="focal_point")
                | models.Q(member_state__isnull=False),
                name="focal_point_invitation_has_state",
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


# --- Security: the two-factor policy and the sign-in trail (two_factor, audit) ---


class SecurityPolicy(models.Model):
    """Who must sign in with two factors; one row, edited by the Secretariat admins."""

    SINGLETON_ID = 1

    require_two_factor_secretariat = models.BooleanField(
        _("require two-factor sign-in for the Secretariat"),
        default=False,
        help_text=_("Reviewers and admins of the Secretariat."),
    )
    require_two_factor_focal_points = models.BooleanField(
        _("require two-factor sign-in for focal points"),
        default=False,
        help_text=_("The national focal points of the member states."),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="security_policy_singleton"
            )
        ]

    def __str__(self) -> str:
        return str(_("Security policy"))


class SecurityEvent(models.Model):
    """A sign-in, a failed one, a lockout, a token issued, a change of two-factor
    sign-in: who, when, from where. Rows are only ever added."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        LOCKED_OUT = "locked_out", _("Locked out")
        SIGNED_OUT = "signed_out", _("Signed out")
        SESSION_EXPIRED = "session_expired", _("Session expired")
        TOKEN_ISSUED = "token_issued", _("API token issued")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor sign-in turned on")
        TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor sign-in turned off")
        TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor sign-in reset by an admin")
        RECOVERY_CODES = "recovery_codes", _("Recovery codes renewed")

    class Door(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")

    kind = models.CharField(_("event"), max_length=24, choices=Kind)
    door = models.CharField(_("door"), max_length=8, choices=Door, default=Door.WEB)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
        verbose_name=_("account"),
    )
    # As typed: also kept for unknown usernames and after an account is deleted.
    username = models.CharField(_("username"), max_length=150, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
        help_text=_("Who did it, when not the account's owner."),
    )
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser or client"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("sign-in and security event")
        verbose_name_plural = _("sign-in and security events")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["username", "-created_at"]),
            models.Index(fields=["kind", "-created_at"]),
        ]

    def __str__(self) -> str:
        when = self.created_at.strftime("%Y-%m-%d %H:%M")
        return f"{self.get_kind_display()} · {self.username} · {when}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Security events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Security events are never deleted.")


# --- API tokens (accounts.tokens) -------------------------------------------------


class ApiTokenQuerySet(models.QuerySet):
    def unexpired(self):
        return self.filter(
            models.Q(expiry__isnull=True) | models.Q(expiry__gt=timezone.now())
        )


class ApiToken(AbstractAuthToken):
    """A key to the API for one of a user's systems or scripts (django-rest-knox's
    token, with a name). Only a hash of the secret is kept (``digest``) and its first
    characters to find it (``token_key``): neither is ever shown."""

    # knox keys the table on the digest; the portal shows, links and logs this id.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # type: ignore[var-annotated]  # knox's untyped base
    digest = models.CharField(max_length=KNOX.DIGEST_LENGTH, unique=True)  # type: ignore[var-annotated]  # knox's untyped base
    name = models.CharField(  # type: ignore[var-annotated]  # knox's untyped base
        _("name"),
        max_length=100,
        blank=True,
        help_text=_("The system or script that uses it."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)  # type: ignore[var-annotated]  # knox's untyped base

    # knox's create(user=..., name=...) gives (token, secret); the secret is shown
    # once, to whoever asked for it.
    objects = AuthTokenManager.from_queryset(ApiTokenQuerySet)()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.name or str(self.id)
