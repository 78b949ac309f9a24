"""Sign-in in two steps, the account's security page (two-factor sign-in, API
tokens), and the policy that requires two-factor sign-in. The work is done in
accounts' lockout, two_factor, sessions and tokens modules."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import lockout, permissions, sessions, tokens, two_factor
from accounts.audit import door_of
from accounts.forms import SecurityPolicyForm, TwoFactorCodeForm, TwoFactorConfirmForm
from accounts.lockout import ADDRESS_LIMITED, lockout_seconds
from accounts.models import SecurityEvent, User

RECOVERY_CODES_KEY = "portal_recovery_codes"


class LoginView(auth_views.LoginView):
    """The password step. With two-factor sign-in on, the user is not signed in
    yet: the code step (``login_code``) does that."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.has_two_factor(user):
            sessions.pending_login_start(
                self.request, user=user, next_url=self.get_success_url()
            )
            return redirect("login-code")
        return super().form_valid(form)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in is the portal's (with its two-factor step). Someone
    signed in already lacks the admin's rights: no use signing in again."""
    if request.user.is_authenticated:
        raise PermissionDenied
    query = request.META.get("QUERY_STRING", "")
    return redirect(reverse("login") + (f"?{query}" if query else ""))


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """The code step of a sign-in: a code from the app, or a recovery code."""
    pending = sessions.pending_login(request)
    if pending is None:
        messages.error(
            request, _("Your sign-in took too long or was interrupted. Start again.")
        )
        return redirect("login")
    user, data = pending
    if lockout.signin_locked(request, user.get_username()):
        return lockout_response(request)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.two_factor_verify(
                user=user, code=form.cleaned_data["code"]
            )
        except two_factor.TwoFactorError as error:
            lockout.signin_failed(request, username=user.get_username(), reason="code")
            form.add_error("code", error.message)
        else:
            sessions.pending_login_finish(request, user=user, device=device, data=data)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code, which is now used up: "
                        "%(count)d left. Make new ones on your account's security "
                        "page."
                    )
                    % {"count": two_factor.recovery_codes_left(user)},
                )
            return redirect(_safe_next(request, data.get("next")))
    return render(request, "registration/login_code.html", {"form": form})


def _safe_next(request: HttpRequest, url: str | None) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- The account's security page ---------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_security(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        return _revoke_api_tokens(request)
    return render(
        request,
        "portal/security/account.html",
        {
            "two_factor_on": two_factor.has_two_factor(user),
            "two_factor_required": two_factor.two_factor_required(user),
            "recovery_codes_left": two_factor.recovery_codes_left(user),
            "can_edit_policy": permissions.can_change_security_policy(user),
            "api_tokens": tokens.api_tokens_of(user=user),
            "api_token_days": settings.API_TOKEN_DAYS,
        },
    )


def _revoke_api_tokens(request: HttpRequest) -> HttpResponse:
    """The page's buttons: revoke one of the user's own tokens (``revoke``, its
    id; anyone else's is a 404) or all of them (``revoke_all``)."""
    if "revoke_all" in request.POST:
        count = tokens.api_tokens_revoke_all(
            user=request.user, reason="owner", request=request
        )
        messages.success(
            request,
            ngettext(
                "%(count)d API token revoked.", "%(count)d API tokens revoked.", count
            )
            % {"count": count},
        )
    else:
        token = tokens.api_token_for(
            user=request.user, token_id=request.POST.get("revoke", "")
        )
        tokens.api_token_revoke(token=token, actor=request.user, request=request)
        messages.success(
            request,
            _("The API token “%(name)s” is revoked.") % {"name": token.name}
            if token.name
            else _("The API token is revoked."),
        )
    return redirect(reverse("account-security") + "#api-tokens")


@login_required
@sensitive_post_parameters("code")
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), confirm with a code from the app."""
    user = request.user
    if two_factor.has_two_factor(user):
        return redirect("account-security")
    device = two_factor.totp_setup_start(user=user)
    form = TwoFactorConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_setup_confirm(
                user=user, code=form.cleaned_data["code"], request=request
            )
        except two_factor.TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            request.session[RECOVERY_CODES_KEY] = codes
            messages.success(request, _("Two-factor sign-in is on."))
            next_url = request.GET.get("next")
            if next_url:
                request.session["portal_after_codes"] = next_url
            return redirect("two-factor-recovery-codes")
    secret = two_factor.totp_secret(device)
    return render(
        request,
        "portal/security/setup.html",
        {
            "form": form,
            "qr_code": two_factor.qr_code_svg(
                device.config_url,
                label=_("QR code to scan with your authenticator app"),
            ),
            "secret": secret,
            "required": two_factor.two_factor_required(user),
        },
    )


@login_required
@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once: they are not kept in the clear."""
    codes = request.session.pop(RECOVERY_CODES_KEY, None)
    next_url = request.session.pop("portal_after_codes", None)
    return render(
        request,
        "portal/security/recovery_codes.html",
        {"codes": codes, "next": _safe_next(request, next_url)},
    )


@login_required
@sensitive_post_parameters("code")
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    if not two_factor.has_two_factor(request.user):
        return redirect("account-security")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.recovery_codes_regenerate(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except two_factor.TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            request.session[RECOVERY_CODES_KEY] = codes
            return redirect("two-factor-recovery-codes")
    return render(
        request,
        "portal/security/confirm_with_code.html",
        {
            "form": form,
            "title": _("New recovery codes"),
            "intro": _(
                "Your present recovery codes stop working and ten new ones are "
                "shown once. Confirm with a code from your app."
            ),
            "button": _("Make new recovery codes"),
        },
    )


@login_required
@sensitive_post_parameters("code")
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if not two_factor.has_two_factor(request.user):
        return redirect("account-security")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.two_factor_disable(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        except two_factor.TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("account-security")
    required = two_factor.two_factor_required(request.user)
    return render(
        request,
        "portal/security/confirm_with_code.html",
        {
            "form": form,
            "title": _("Turn two-factor sign-in off"),
            "intro": (
                _(
                    "The Secretariat requires two-factor sign-in for your role: you "
                    "will be asked to set up an app again at once (for example a new "
                    "phone's)."
                )
                if required
                else _(
                    "Your password alone will sign you in again, and your API tokens "
                    "stop working. Confirm with a code from your app or a recovery "
                    "code."
                )
            ),
            "button": _("Turn two-factor sign-in off"),
            "danger": True,
        },
    )


# --- For the Secretariat admins ---------------------------------------------------


@login_required
def security_policy(request: HttpRequest) -> HttpResponse:
    if not permissions.can_change_security_policy(request.user):
        raise PermissionDenied
    policy = two_factor.security_policy()
    form = SecurityPolicyForm(
        request.POST or None,
        initial={
            "require_two_factor_secretariat": policy.require_two_factor_secretariat,
            "require_two_factor_focal_points": policy.require_two_factor_focal_points,
        },
    )
    if request.method == "POST" and form.is_valid():
        two_factor.security_policy_update(
            actor=request.user,
            require_secretariat=form.cleaned_data["require_two_factor_secretariat"],
            require_focal_points=form.cleaned_data["require_two_factor_focal_points"],
        )
        messages.success(request, _("The two-factor policy is saved."))
        return redirect("security-policy")
    return render(
        request, "portal/security/policy.html", {"form": form, "policy": policy}
    )


@login_required
@require_POST
def reset_two_factor(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_manage_users(request.user):
        raise PermissionDenied
    account = get_object_or_404(User, pk=pk)
    two_factor.two_factor_reset(user=account, actor=request.user, request=request)
    messages.success(
        request,
        _(
            "Two-factor sign-in of %(username)s is reset: their password alone signs "
            "them in until they set it up again."
        )
        % {"username": account.get_username()},
    )
    return redirect("user-list")


# --- Refused sign-ins (django-axes calls lockout_response) --------------------------


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """What django-axes answers a locked-out sign-in: the API's JSON error or the
    lockout page, both 429 with Retry-After."""
    seconds = lockout_seconds(request)
    message = _(
        "Too many failed sign-ins for this username from your address. "
        "Try again in %(minutes)d minutes, or ask the OAS Secretariat to unlock "
        "your account."
    ) % {"minutes": _minutes(seconds)}
    return _refusal(
        request,
        code="locked_out",
        message=message,
        seconds=seconds,
        template="registration/locked_out.html",
    )


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def _refusal(
    request: HttpRequest, *, code: str, message: str, seconds: int, template: str
) -> HttpResponse:
    """429 with Retry-After: the API's JSON error, or a page saying why."""
    if door_of(request) == SecurityEvent.Door.API:
        response: HttpResponse = JsonResponse(
            {"error": {"code": code, "message": message}}, status=429
        )
    else:
        response = render(request, template, {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def address_limited_response(request: HttpRequest) -> HttpResponse | None:
    """The answer to a sign-in refused for its address, if it was."""
    seconds = getattr(request, ADDRESS_LIMITED, 0)
    if not seconds:
        return None
    message = _(
        "Too many failed sign-ins from your address. Try again in %(minutes)d "
        "minutes. If colleagues share your network, one of them may have mistyped "
        "a password several times."
    ) % {"minutes": _minutes(seconds)}
    return _refusal(
        request,
        code="address_limited",
        message=message,
        seconds=seconds,
        template="registration/too_many.html",
    )
