"""The audit trail: what it records, and who and where each entry comes from.

Two tables, both read in the admin and written by nothing else:

- django-auditlog's ``LogEntry``: every create, change and delete of the models
  registered below, with the changed fields, the actor and the client's address
  (``accounts.middleware.AuditMiddleware``);
- ``portal.SecurityEvent``: sign-ins, failed ones, lockouts, sign-outs, expired
  sessions, API tokens issued and changes of two-factor sign-in
  (the receivers below and ``accounts.sessions``).
"""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

from accounts.models import SecurityEvent, User
from core.clients import client_ip

# The request being served, so that an entry saved after DRF authenticated a token
# (the middleware ran before that) still names its actor.
current_request: ContextVar[HttpRequest | None] = ContextVar(
    "portal_audit_request", default=None
)


def mask_all(value: str) -> str:
    """Secrets are recorded as changed, never with their value."""
    return "(hidden)"


def register_models() -> None:
    from auditlog.registry import auditlog as registry
    from django.apps import apps

    class Registry:
        """auditlog's registry, leaving out reverse relations (other models' keys
        to this one), which auditlog would list as empty fields on each create."""

        def register(self, model, exclude_fields=(), **options) -> None:
            reverse = [
                field.name
                for field in model._meta.get_fields()
                if field.is_relation and field.auto_created and not field.concrete
            ]
            registry.register(
                model, exclude_fields=[*exclude_fields, *reverse], **options
            )

    auditlog = Registry()

    def model(label: str):
        return apps.get_model(label)

    hidden = {"mask_callable": "accounts.audit.mask_all"}

    # Progress updates and what hangs on them; review transitions are UpdateEvents.
    auditlog.register(model("recommendations.ProgressUpdate"))
    auditlog.register(model("recommendations.Measure"))
    auditlog.register(model("recommendations.AssistanceNeed"))
    auditlog.register(model("recommendations.Evidence"))
    auditlog.register(
        model("recommendations.UpdateEvent"),
        # A copy of the update at that step: already in the update's own entries.
        exclude_fields=["snapshot"],
    )
    # Good practices a reviewer marked for the report, and unmarked.
    auditlog.register(model("recommendations.GoodPracticeMark"))
    # Cycles, extensions, member states and the catalogue the Secretariat edits.
    for label in (
        "recommendations.ReportingCycle",
        "recommendations.CycleExtension",
        "recommendations.MemberState",
        "recommendations.Instrument",
        "recommendations.Theme",
        "recommendations.Recommendation",
        "recommendations.Footnote",
    ):
        auditlog.register(model(label))
    # Rights on a member state (a focal point's), granted and revoked.
    auditlog.register(model("recommendations.MemberStateUserObjectPermission"))
    auditlog.register(model("recommendations.MemberStateGroupObjectPermission"))
    # Accounts and roles: a role is a group, so group membership is tracked.
    auditlog.register(
        model("portal.User"),
        exclude_fields=["last_login"],  # every sign-in is a SecurityEvent already
        mask_fields=["password"],
        m2m_fields={"groups", "user_permissions"},
        **hidden,
    )
    auditlog.register(model("portal.Invitation"), mask_fields=["token_hash"], **hidden)
    auditlog.register(model("portal.SecurityPolicy"))
    # Reports: runs, their state and publication; the Secretariat's texts.
    auditlog.register(
        model("reporting.ReportRun"),
        # Written every few seconds while a report compiles.
        exclude_fields=["heartbeat_at", "stage_seconds", "progress", "stage"],
    )
    auditlog.register(model("reporting.ReportText"))


# --- Receivers (connected in AccountsConfig.ready) ----------------------------------


def on_logged_in(sender, request, user, **kwargs) -> None:
    from accounts import sessions

    if request is None:
        return
    sessions.session_started(request, user)
    record_event(
        kind=SecurityEvent.Kind.SIGNED_IN,
        request=request,
        user=user,
        detail="two factors" if sessions.session_verified(request) else "",
    )


def on_logged_out(sender, request, user, **kwargs) -> None:

    if request is None or user is None:
        return
    record_event(
        kind=getattr(request, "portal_logout_kind", SecurityEvent.Kind.SIGNED_OUT),
        request=request,
        user=user,
        detail=getattr(request, "portal_logout_detail", ""),
    )


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    record_event(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED,
        request=request,
        user=User.objects.filter(username=username).first() if username else None,
        username=username,
        detail=kwargs.get("portal_reason", "password"),
    )


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):

    record_event(
        kind=SecurityEvent.Kind.LOCKED_OUT,
        request=request,
        username=username or "",
    )


def fill_actor(sender, instance, **kwargs) -> None:
    """An entry written during an API call signed in with a token: the middleware
    saw nobody, DRF found the user later, on the same request."""
    if instance.actor_id is not None:
        return
    request = current_request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        instance.actor_id = user.pk
        instance.actor_email = getattr(user, "email", None)


# --- The sign-in trail -----------------------------------------------------------


def door_of(request: HttpRequest | None) -> str:
    if request is not None and request.path_info.startswith("/api/"):
        return SecurityEvent.Door.API
    return SecurityEvent.Door.WEB


def record_event(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    username: str = "",
    actor: User | None = None,
    detail: str = "",
) -> SecurityEvent:
    """Add a row to the sign-in audit trail, with the request's address and client."""
    return SecurityEvent.objects.create(
        kind=kind,
        door=door_of(request),
        user=user,
        username=(username or (user.get_username() if user else ""))[:150],
        actor=actor,
        detail=detail[:200],
        ip_address=client_ip(request) if request is not None else None,
        user_agent=(
            request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
        ),
    )
