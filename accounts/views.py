import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from kombu.exceptions import OperationalError

from accounts import permissions, services, tasks
from accounts.forms import AcceptInvitationForm, InvitationForm
from accounts.models import Invitation, User
from accounts.roles import role_labels
from core import limits
from core.clients import client_ip

logger = logging.getLogger(__name__)


def _require_user_manager(user) -> None:
    if not permissions.can_manage_users(user):
        raise PermissionDenied


@login_required
def user_list(request):
    _require_user_manager(request.user)
    users = list(User.objects.order_by("username").prefetch_related("groups"))
    states = permissions.states_reported_for(users)
    for account in users:
        account.role_labels = role_labels(account)
        account.states = states.get(account.pk, [])
    return render(
        request,
        "portal/user_list.html",
        {
            "users": users,
            "two_factor_ids": set(
                TOTPDevice.objects.filter(confirmed=True).values_list(
                    "user_id", flat=True
                )
            ),
            "invitations": Invitation.objects.pending().select_related("member_state"),
            "form": InvitationForm(),
        },
    )


@login_required
def invite(request):
    _require_user_manager(request.user)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                invited_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("user-list")
    return render(request, "portal/invite.html", {"form": form})


@login_required
@require_POST
def deactivate(request, pk: int):
    _require_user_manager(request.user)
    user = get_object_or_404(User, pk=pk)
    try:
        services.user_deactivate(user=user, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(username)s can no longer sign in.") % {"username": user.username},
        )
    return redirect("user-list")


@login_required
@require_POST
def revoke_invitation(request, pk: int):
    _require_user_manager(request.user)
    invitation = get_object_or_404(Invitation, pk=pk)
    services.invitation_revoke(invitation=invitation)
    messages.success(
        request,
        _("The invitation to %(email)s is revoked.") % {"email": invitation.email},
    )
    return redirect("user-list")


def accept_invitation(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "portal/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome. Your account is ready."))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "portal/accept_invitation.html",
        {"form": form, "invitation": invitation},
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for a reset link. The worker looks the address up and sends the email
    (``portal.send_password_reset``), so that the answer takes as long for an
    address with an account as for one without. Limited per address and per email
    address typed, whether it has an account or not (which the refusal never says).
    """

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        address = client_ip(self.request) or ""
        wait = max(
            limits.PASSWORD_RESETS_PER_ADDRESS.wait(address),
            limits.PASSWORD_RESETS_PER_ACCOUNT.wait(email),
        )
        if wait:
            form.add_error(
                None,
                _(
                    "Too many password resets were asked for from your address or "
                    "for this email address. Check your inbox and spam folder for a "
                    "link already sent, or try again in %(minutes)d minutes."
                )
                % {"minutes": max(1, -(-wait // 60))},
            )
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        limits.PASSWORD_RESETS_PER_ADDRESS.hit(address)
        limits.PASSWORD_RESETS_PER_ACCOUNT.hit(email)
        try:
            tasks.send_password_reset.delay(email=email, language=get_language())
        except OperationalError:
            # The broker is down: a late answer beats a lost reset email.
            logger.warning("Broker unreachable: the reset email is sent in the request")
            tasks.send_password_reset.apply(
                kwargs={"email": email, "language": get_language()}
            )
        return HttpResponseRedirect(self.get_success_url())
