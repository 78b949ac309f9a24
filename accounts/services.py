"""Accounts and roles: invitations, role assignment, deactivation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.models import Invitation, Role, User, hash_token
from accounts.roles import GROUP_NAMES
from core.links import absolute_url


def user_assign_role(
    *, user: User, role: str, member_state: Model | None = None
) -> None:
    """Give ``user`` a role; a focal point also gets rights on ``member_state`` only."""
    if role == Role.FOCAL_POINT and member_state is None:
        raise ValidationError(_("A focal point must be linked to a member state."))
    user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    if role == Role.FOCAL_POINT:
        permissions.state_rights_grant(user=user, member_state=member_state)
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True  # the admin screens for the catalogue and users
        user.save(update_fields=["is_staff"])
    forget_cached_rights(user)


def forget_cached_rights(user: User) -> None:
    """Rights are cached on the user object for a request; after a change, reread."""
    for name in ("_portal_roles", "_state_checker", "_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(name, None)


def focal_point_unassign(*, user: User, member_state: Model) -> None:
    permissions.state_rights_revoke(user=user, member_state=member_state)
    forget_cached_rights(user)
    if not permissions.reports_for_some_state(user):
        user.groups.remove(Group.objects.get(name=GROUP_NAMES[Role.FOCAL_POINT]))


def user_deactivate(*, user: User, actor: User) -> None:
    if user == actor:
        raise ValidationError(_("You cannot deactivate your own account."))
    user.is_active = False
    user.save(update_fields=["is_active"])


def invitation_create(
    *,
    email: str,
    role: str,
    invited_by: User,
    member_state: Model | None = None,
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
) -> tuple[Invitation, str]:
    """Record an invitation and email its one-time link. Returns it with its token."""
    email = email.strip()
    if role == Role.FOCAL_POINT and member_state is None:
        raise ValidationError(_("Choose the member state the focal point reports for."))
    if role != Role.FOCAL_POINT:
        member_state = None
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("An account with this email address already exists."))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.pending().filter(email__iexact=email).update(
            revoked_at=timezone.now()
        )
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            member_state=member_state,  # type: ignore[misc]  # a MemberState, which accounts may not import
            first_name=first_name,
            last_name=last_name,
            language=language,
            token_hash=hash_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
    _send_invitation(invitation, token)
    return invitation, token


def _send_invitation(invitation: Invitation, token: str) -> None:
    with translation.override(invitation.language):
        path = reverse("accept-invitation", args=[token])
        context = {
            "invitation": invitation,
            "link": absolute_url(path),
            "role": Role(invitation.role).label,
            "state": invitation.member_state.name if invitation.member_state else "",
        }
        send_mail(
            subject=_("Your invitation to the OAS trafficking in persons portal"),
            message=render_to_string("portal/emails/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )


def invitation_for_token(token: str) -> Invitation | None:
    """The usable invitation behind a link; None if unknown, used or expired."""
    invitation = (
        Invitation.objects.select_related("member_state")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None or not invitation.is_usable:
        return None
    return invitation


def invitation_accept(*, invitation: Invitation, username: str, password: str) -> User:
    """Create the invited person's account, in its role, and use up the invitation."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_usable:
            raise ValidationError(
                _("This invitation has already been used or has expired.")
            )
        user = User(
            username=username,
            email=locked.email,
            first_name=locked.first_name,
            last_name=locked.last_name,
            language=locked.language,
        )
        user.set_password(password)
        user.full_clean()
        user.save()
        user_assign_role(user=user, role=locked.role, member_state=locked.member_state)
        locked.accepted_at = timezone.now()
        locked.user = user
        locked.save(update_fields=["accepted_at", "user"])
    return user


def invitation_revoke(*, invitation: Invitation) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


# --- Password reset ---------------------------------------------------------------


def password_reset_send(*, email: str) -> int:
    """Email a reset link to each active account with this address (none for an
    unknown one); returns how many. Run by the worker, so that the page answers
    alike whether the address has an account or not. The link is built on
    SITE_URL, never on what a request said its host was."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    site = urlsplit(settings.SITE_URL)
    users = list(form.get_users(form.cleaned_data["email"]))
    form.save(
        domain_override=site.netloc,
        use_https=site.scheme == "https",
        subject_template_name="registration/password_reset_subject.txt",
        email_template_name="registration/password_reset_email.html",
    )
    return len(users)


def notifications_mark_seen(*, user: User, newest_seen: datetime) -> None:
    """The user has seen their notifications up to ``newest_seen`` (the newest one
    shown): later ones stay unread, and the count never goes back."""
    # Conditional, so that a page loaded earlier but answered later cannot move the
    # mark back.
    User.objects.filter(pk=user.pk).filter(
        Q(notifications_seen_at__isnull=True) | Q(notifications_seen_at__lt=newest_seen)
    ).update(notifications_seen_at=newest_seen)
    if user.notifications_seen_at is None or user.notifications_seen_at < newest_seen:
        user.notifications_seen_at = newest_seen
