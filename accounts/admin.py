from importlib import import_module

from auditlog.admin import LogEntryAdmin as BaseLogEntryAdmin
from auditlog.filters import ResourceTypeFilter
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import ReadOnlyPasswordHashWidget
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import Invitation, SecurityEvent, SecurityPolicy, User


class PasswordSummaryWidget(ReadOnlyPasswordHashWidget):
    """Django's summary of the password, without two attributes its <div> may not
    carry (Django 5.2): ``disabled``, and ``aria-describedby`` naming a help text
    that the admin renders without an id."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for invalid in ("disabled", "aria-describedby"):
            context["widget"]["attrs"].pop(invalid, None)
        return context


class UserChangeForm(BaseUserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].widget = PasswordSummaryWidget()


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
    ]
    list_filter = ["groups", "is_active", "is_staff"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Portal", {"fields": ["language"]}),
    ]

    # Rights change on the Users page, through the role services (accounts.services),
    # never here: a Secretariat admin (staff with change_user) could otherwise make
    # itself superuser, or give itself any permission or group. Superusers are made
    # on the command line (createsuperuser) alone.
    RIGHTS = ["is_staff", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        fields = [*super().get_readonly_fields(request, obj), "is_superuser"]
        if not request.user.is_superuser:
            fields += self.RIGHTS
        return fields

    def has_change_permission(self, request, obj=None) -> bool:
        # A superuser's account (its email, its password) is a superuser's to change.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        # Setting someone's password is signing in as them: people reset their own
        # (the reset email), and only a superuser sets one here.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """The roles' groups hold the permissions accounts.roles gives them (set again
    after every migrate): read here, changed by a superuser alone."""

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "role",
        "member_state",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role", "member_state"]
    readonly_fields = ["token_hash", "invited_by", "created_at", "accepted_at", "user"]
    search_fields = ["email"]

    def has_add_permission(self, request):
        return False  # invitations are sent from the Users page, which emails the link


# --- Security: the two-factor policy and the audit trail ---------------------------


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(admin.ModelAdmin):
    fields = [
        "require_two_factor_secretariat",
        "require_two_factor_focal_points",
        "updated_at",
        "updated_by",
    ]
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request):
        return False  # one row, made by a migration

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        two_factor.security_policy_update(
            actor=request.user,
            require_secretariat=obj.require_two_factor_secretariat,
            require_focal_points=obj.require_two_factor_focal_points,
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit trail: read and filtered by those allowed to view it; added to by
    the portal alone; changed and deleted by nobody, superusers included."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    date_hierarchy = "created_at"
    list_display = [
        "created_at",
        "kind",
        "username",
        "door",
        "ip_address",
        "actor",
        "detail",
    ]
    list_filter = ["kind", "door"]
    search_fields = ["username", "ip_address", "user_agent", "detail"]
    list_select_related = ["actor"]
    readonly_fields = [
        "created_at",
        "kind",
        "door",
        "user",
        "username",
        "actor",
        "detail",
        "ip_address",
        "user_agent",
    ]


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin, BaseLogEntryAdmin):
    """django-auditlog's entries: what changed, who changed it, from where."""

    list_display = [
        "created",
        "resource_url",
        "action",
        "msg_short",
        "user_url",
        "remote_addr",
    ]
    list_filter = ["action", ResourceTypeFilter, "timestamp"]
    search_fields = [
        "object_repr",
        "changes",
        "remote_addr",
        "actor__username",
        "actor__first_name",
        "actor__last_name",
        "actor_email",
    ]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "remote_addr", "resource_url"]}),
        (_("Changes"), {"fields": ["action", "msg"]}),
    ]
    readonly_fields = [
        "created",
        "resource_url",
        "action",
        "user_url",
        "remote_addr",
        "msg",
    ]


# The authenticator apps' secrets are never shown: users manage their own on their
# account's security page, and admins reset them from the Users page. (django-otp's
# admin modules are imported first, so that they register before this unregisters.)
import_module("django_otp.plugins.otp_totp.admin")
import_module("django_otp.plugins.otp_static.admin")
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
