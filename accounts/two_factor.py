"""Two-factor sign-in (django-otp) and the policy that requires it.

Two-factor sign-in uses django-otp: an authenticator app (a TOTP device) and ten
recovery codes (a static device), both created when the user confirms the app with a
code. A TOTP code is never accepted twice (the device keeps the last time step used)
and a recovery code is deleted when used. A wrong code counts twice: as a failed
sign-in for django-axes (the same lockout as a wrong password, per username and
address) and in the device's own throttling (1, 2, 4, 8... seconds between tries,
whatever the address).
"""

from __future__ import annotations

import math
from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import record_event
from accounts.models import ApiToken, Role, SecurityEvent, SecurityPolicy, User
from accounts.roles import (
    GROUP_NAMES,
    SECRETARIAT_ROLES,
    is_focal_point,
    is_secretariat,
)
from accounts.sessions import session_mark_verified
from accounts.tokens import api_tokens_revoke_all

_POLICY_CACHE_KEY = "portal:security-policy"


@dataclass(frozen=True)
class PolicyFlags:
    secretariat: bool
    focal_points: bool


def policy_flags() -> PolicyFlags:
    """The policy, from the cache (it is read on signed-in requests)."""
    flags = cache.get(_POLICY_CACHE_KEY)
    if flags is None:
        policy = SecurityPolicy.objects.filter(pk=SecurityPolicy.SINGLETON_ID).first()
        flags = (
            (
                policy.require_two_factor_secretariat,
                policy.require_two_factor_focal_points,
            )
            if policy
            else (False, False)
        )
        cache.set(_POLICY_CACHE_KEY, flags, 60 * 10)
    return PolicyFlags(*flags)


def security_policy() -> SecurityPolicy:
    policy, _created = SecurityPolicy.objects.get_or_create(
        pk=SecurityPolicy.SINGLETON_ID
    )
    return policy


def two_factor_required(user: User) -> bool:
    """Whether the policy requires two-factor sign-in of this user's roles."""
    if not user.is_authenticated:
        return False
    flags = policy_flags()
    if not (flags.secretariat or flags.focal_points):
        return False
    return bool(
        (flags.secretariat and (is_secretariat(user) or user.is_superuser))
        or (flags.focal_points and is_focal_point(user))
    )


def security_policy_update(
    *, actor: User, require_secretariat: bool, require_focal_points: bool
) -> SecurityPolicy:
    """Change who must use two-factor sign-in.

    Those it now covers who have not set it up lose their API tokens: a token got
    with a password alone must not outlive the rule. They set it up at their next
    sign-in on the web, then ask for a new token with a code.
    """
    with transaction.atomic():
        policy = SecurityPolicy.objects.select_for_update().filter(
            pk=SecurityPolicy.SINGLETON_ID
        ).first() or SecurityPolicy(pk=SecurityPolicy.SINGLETON_ID)
        policy.require_two_factor_secretariat = require_secretariat
        policy.require_two_factor_focal_points = require_focal_points
        policy.updated_by = actor
        policy.full_clean()
        policy.save()
        transaction.on_commit(lambda: cache.delete(_POLICY_CACHE_KEY))
        cache.delete(_POLICY_CACHE_KEY)
        covered = User.objects.none()
        if require_secretariat:
            covered |= User.objects.filter(
                groups__name__in=[GROUP_NAMES[r] for r in SECRETARIAT_ROLES]
            )
            covered |= User.objects.filter(is_superuser=True)
        if require_focal_points:
            covered |= User.objects.filter(groups__name=GROUP_NAMES[Role.FOCAL_POINT])
        without_device = covered.exclude(
            pk__in=TOTPDevice.objects.filter(confirmed=True).values("user_id")
        )
        for account in User.objects.filter(
            pk__in=ApiToken.objects.filter(user__in=without_device).values("user_id")
        ):
            api_tokens_revoke_all(
                user=account, reason="two_factor_required", actor=actor
            )
    return policy


class TwoFactorError(Exception):
    """A code that does not sign in: wrong, used already, or too soon after one."""

    def __init__(self, message: str, code: str = "otp_invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def has_two_factor(user: User) -> bool:
    """Whether the user has turned two-factor sign-in on (a confirmed app)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_setup_start(*, user: User) -> TOTPDevice:
    """The app to confirm: the same secret while the user has not confirmed it, so
    reloading the page does not change the QR code already scanned."""
    if has_two_factor(user):
        raise TwoFactorError(_("Two-factor sign-in is already on."), "already_on")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False
        )
    return device


def totp_setup_confirm(
    *, user: User, code: str, request: HttpRequest | None = None
) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; returns the new
    recovery codes, to show once. The user's API token is revoked (it was got
    without a code)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .first()
        )
        if device is None or has_two_factor(user):
            raise TwoFactorError(
                _("Start again: open the page to set up two-factor sign-in."),
                "no_device",
            )
        allowed, _why = device.verify_is_allowed()
        verified = allowed and device.verify_token(_digits(code))
    if not verified:  # raised out of the block: the failure count is kept
        raise TwoFactorError(
            _("That code is not the one your app shows now. Try the next one.")
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record_event(
            kind=SecurityEvent.Kind.TWO_FACTOR_ENABLED, request=request, user=user
        )
        api_tokens_revoke_all(user=user, reason="two_factor_enabled", request=request)
    if request is not None:
        session_mark_verified(request, device)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [
        StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def recovery_codes_regenerate(
    *, user: User, code: str, request: HttpRequest | None = None
) -> list[str]:
    """New recovery codes for old ones (all of them stop working); needs a code."""
    two_factor_verify(user=user, code=code)
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record_event(kind=SecurityEvent.Kind.RECOVERY_CODES, request=request, user=user)
    return codes


def two_factor_disable(
    *, user: User, code: str, request: HttpRequest | None = None
) -> None:
    """Turn two-factor sign-in off, with a code; the API tokens go too."""
    two_factor_verify(user=user, code=code)
    with transaction.atomic():
        _remove_devices(user)
        record_event(
            kind=SecurityEvent.Kind.TWO_FACTOR_DISABLED, request=request, user=user
        )
        api_tokens_revoke_all(user=user, reason="two_factor_disabled", request=request)


def two_factor_reset(
    *, user: User, actor: User, request: HttpRequest | None = None
) -> None:
    """An admin removes a user's app and codes (a lost phone): the user signs in
    with the password again, and sets up a new app where the policy requires it."""
    with transaction.atomic():
        _remove_devices(user)
        record_event(
            kind=SecurityEvent.Kind.TWO_FACTOR_RESET,
            request=request,
            user=user,
            actor=actor,
        )
        api_tokens_revoke_all(
            user=user, reason="two_factor_reset", actor=actor, request=request
        )


def _remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _digits(code: str) -> str:
    return "".join(code.split())


def two_factor_verify(*, user: User, code: str) -> Device:
    """The device that accepts ``code``: six digits from the app, or a recovery
    code (used up). Raises TwoFactorError otherwise."""
    code = _digits(code or "").lower()
    if not code:
        raise TwoFactorError(_("Enter the code."), "otp_required")
    model = TOTPDevice if code.isdigit() else StaticDevice
    # The device row is locked so that two requests cannot both use one code; the
    # error is raised after the block, so the failure count it saved is kept.
    with transaction.atomic():
        device = (
            model.objects.select_for_update().filter(user=user, confirmed=True).first()
        )
        allowed, why = device.verify_is_allowed() if device else (True, None)
        verified = bool(device and allowed and device.verify_token(code))
    if verified:
        return device
    if not allowed:
        wait = 1
        if why and why.get("locked_until"):
            wait = math.ceil((why["locked_until"] - timezone.now()).total_seconds())
        raise TwoFactorError(
            _("Too many wrong codes: wait %(seconds)d seconds and try again.")
            % {"seconds": max(1, wait)},
            "otp_throttled",
        )
    raise TwoFactorError(
        _(
            "That code is not valid, or was used already. Enter the code your app "
            "shows now, or an unused recovery code."
        )
    )


def totp_secret(device: TOTPDevice) -> str:
    """The app's secret as people type it: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(text: str, label: str) -> SafeString:
    """``text`` as an inline SVG QR code: paths and presentation attributes only, no
    style attribute (the CSP allows no inline style)."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        box_size=10,
        border=4,
    )
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :]  # no XML declaration inside HTML
    svg = svg.replace(
        "<svg ",
        f'<svg role="img" aria-label="{escape(label)}" class="qr-code" ',
        1,
    )
    if "style=" in svg or "<script" in svg:  # never, with qrcode's SVG factories
        raise ValueError("The QR code's SVG carries styles or scripts.")
    return mark_safe(svg)  # noqa: S308 - drawn by qrcode: paths, no text of ours
