"""Sign-in security: the client's address, lockouts, two-factor sign-in, the policy
that requires it, idle sessions and the sign-in audit trail.

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
import time
import uuid
from base64 import b32encode
from dataclasses import dataclass
from datetime import timedelta

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.auth import TokenAuthentication

from core import limits
from core.clients import client_ip
from portal.models import ApiToken, Role, SecurityEvent, SecurityPolicy, User
from portal.roles import (
    GROUP_NAMES,
    SECRETARIAT_ROLES,
    is_focal_point,
    is_secretariat,
    roles_of,
)

# --- Who is asking, from where ------------------------------------------------------


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


# --- Lockout ----------------------------------------------------------------------


def lockout_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds()) if cool_off else 0


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


# Where a password is checked (the backend recorded for a two-step sign-in).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ADDRESS_LIMITED = "portal_address_limited"


class AddressLimitBackend:
    """First of the authentication backends: while the client's address has failed
    too many sign-ins (whatever the usernames: password spraying), no password is
    even checked. ``AddressLimitMiddleware`` then answers with the reason.

    It has no ``get_user``: it never signs anyone in, so no session names it (and
    the test client's ``force_login`` passes it by)."""

    def authenticate(self, request: HttpRequest | None, **credentials) -> None:
        if request is None:
            return None
        seconds = limits.SIGNIN_FAILURES_PER_ADDRESS.wait(client_ip(request) or "")
        if seconds:
            setattr(request, ADDRESS_LIMITED, seconds)
            raise PermissionDenied  # stops authenticate() at this backend
        return None


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A failed sign-in (password or code, web or API) counts against its address."""
    if request is not None:
        limits.SIGNIN_FAILURES_PER_ADDRESS.hit(client_ip(request) or "")


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


def signin_locked(request: HttpRequest, username: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def signin_failed(request: HttpRequest, *, username: str, reason: str) -> None:
    """A failed second step: counted by django-axes and recorded like a wrong
    password (django.contrib.auth sends the same signal for those)."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": username},
        request=request,
        portal_reason=reason,
    )


# --- The policy -------------------------------------------------------------------

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


# --- Two-factor sign-in -----------------------------------------------------------


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


# --- Sessions: the two steps of a sign-in, and idle sessions ----------------------

PENDING_KEY = "portal_2fa_pending"
VERIFIED_KEY = "portal_2fa_verified"
LAST_SEEN_KEY = "portal_last_seen"
IDLE_LIMIT_KEY = "portal_idle_limit"
STARTED_KEY = "portal_started"


def pending_login_start(request: HttpRequest, *, user: User, next_url: str) -> None:
    """The password was right and a code is needed: remember who, for a few
    minutes, without signing them in."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": getattr(user, "backend", MODEL_BACKEND),
        "at": int(time.time()),
        "next": next_url,
    }


def pending_login(request: HttpRequest) -> tuple[User, dict] | None:
    """Who passed the password step, while it is fresh; None otherwise."""
    data = request.session.get(PENDING_KEY)
    if not data:
        return None
    if int(time.time()) - data.get("at", 0) > settings.TWO_FACTOR_PENDING_SECONDS:
        del request.session[PENDING_KEY]
        return None
    user = User.objects.filter(pk=data.get("user_id"), is_active=True).first()
    if user is None:
        del request.session[PENDING_KEY]
        return None
    return user, data


def pending_login_finish(
    request: HttpRequest, *, user: User, device: Device, data: dict
) -> None:
    """The code was right: sign the user in, with the device in the session."""
    request.session.pop(PENDING_KEY, None)
    session_mark_verified(request, device)  # before login(), which records it
    login(request, user, backend=data["backend"])
    otp_login(request, device)


def session_mark_verified(request: HttpRequest, device: Device) -> None:
    request.session[VERIFIED_KEY] = device.persistent_id


def session_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(VERIFIED_KEY))


def idle_limit(user: User) -> int:
    """Seconds without a request after which the session ends."""
    if user.is_staff or user.is_superuser or is_secretariat(user):
        return settings.SESSION_IDLE_SECONDS_SECRETARIAT
    return settings.SESSION_IDLE_SECONDS


def session_started(request: HttpRequest, user: User) -> None:
    """At sign-in: the idle limit for the session's whole life, read once, and the
    moment the session ends whatever happens (SESSION_COOKIE_AGE after now).

    The expiry is a fixed moment, not an age: Django re-issues the cookie whenever
    the session changes, and an age would then start again from that change."""
    roles_of(user)  # cached on the user for the rest of the request
    now = int(time.time())
    request.session[IDLE_LIMIT_KEY] = idle_limit(user)
    request.session[LAST_SEEN_KEY] = now
    request.session[STARTED_KEY] = now
    request.session.set_expiry(
        timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    )


def session_lifetime_over(request: HttpRequest) -> bool:
    """Whether the session is older than SESSION_COOKIE_AGE, counted from sign-in
    (on the server: a cookie kept past its expiry changes nothing). A session that
    does not say when it started predates this rule, and ends too."""
    started = request.session.get(STARTED_KEY)
    return started is None or time.time() - started > settings.SESSION_COOKIE_AGE


def session_idle_expired(request: HttpRequest, user: User) -> bool:
    """Whether the session has been idle too long; otherwise note this request
    (at most once a minute, so that not every request writes the session)."""
    now = int(time.time())
    session = request.session
    last = session.get(LAST_SEEN_KEY)
    limit = session.get(IDLE_LIMIT_KEY) or idle_limit(user)
    if last is not None and now - last > limit:
        return True
    if last is None or now - last >= 60:
        session[LAST_SEEN_KEY] = now
    return False


def session_end(request: HttpRequest, *, kind: str, detail: str = "") -> None:
    """Sign the user out; the trail says why (see portal.audit)."""
    request.portal_logout_kind = kind
    request.portal_logout_detail = detail
    logout(request)


# --- API tokens -------------------------------------------------------------------


# django-rest-knox's tokens, as portal.ApiToken: only a hash of the secret is kept,
# each ends after API_TOKEN_DAYS, and a user holds several, one per system or script.
# All of a user's tokens are revoked with a new password or a deactivation (on the
# model: portal.models._api_tokens_follow_the_account) and with a change of
# two-factor sign-in (the services above).


class ApiTokenLimitError(Exception):
    """The user holds as many unexpired tokens as allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``: knox's check (hash, expiry, active user),
    noting when the token was last used, at most once a minute (a script's burst
    of requests writes once)."""

    def validate_user(self, auth_token: ApiToken) -> tuple[User, ApiToken]:
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        last = token.last_used_at
        if last is None or (now - last).total_seconds() >= 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token


def api_token_issue(
    *, user: User, name: str = "", request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``, named after the system or script that will use it.
    Returns the token and its secret, to give this once: only a hash is kept."""
    name = " ".join(name.split())
    ApiToken._meta.get_field("name").clean(name, None)  # at most 100 characters
    with transaction.atomic():
        # One issue at a time per user, so that the limit holds.
        User.objects.select_for_update().filter(pk=user.pk).first()
        ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
        if ApiToken.objects.filter(user=user).count() >= settings.API_TOKENS_PER_USER:
            raise ApiTokenLimitError(
                _(
                    "You hold %(count)d API tokens, as many as allowed: revoke those "
                    "no longer used on your account's security page, or keep using "
                    "one until it expires."
                )
                % {"count": settings.API_TOKENS_PER_USER}
            )
        token, secret = ApiToken.objects.create(user=user, name=name)
        record_event(
            kind=SecurityEvent.Kind.TOKEN_ISSUED,
            request=request,
            user=user,
            detail=_token_detail(token),
        )
    return token, secret


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's unexpired tokens, newest first."""
    return ApiToken.objects.filter(user=user).unexpired().order_by("-created", "pk")


def api_token_for(*, user: User, token_id: object) -> ApiToken:
    """One of the user's own unexpired tokens; anyone else's, or none: Http404."""
    try:
        return api_tokens_of(user=user).get(pk=uuid.UUID(str(token_id)))
    except (ApiToken.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


def api_token_revoke(
    *, token: ApiToken, actor: User, request: HttpRequest | None = None
) -> None:
    """Revoke one token (its owner does, from the page or the API)."""
    detail = _token_detail(token)
    with transaction.atomic():
        token.delete()
        record_event(
            kind=SecurityEvent.Kind.TOKEN_REVOKED,
            request=request,
            user=token.user,
            actor=_other_than(actor, token.user),
            detail=detail,
        )


def api_tokens_revoke_all(
    *,
    user: User,
    reason: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Revoke all of the user's tokens; the trail records how many and why
    (``reason``: owner, password_changed, deactivated, two_factor_enabled...)."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    with transaction.atomic():
        count = ApiToken.objects.filter(user=user).delete()[0]
        if count:
            record_event(
                kind=SecurityEvent.Kind.TOKEN_REVOKED,
                request=request,
                user=user,
                actor=_other_than(actor, user),
                detail=f"all ({count}): {reason}",
            )
    return count


def _token_detail(token: ApiToken) -> str:
    return f"{token.id} {token.name}".strip()


def _other_than(actor: User | None, user: User) -> User | None:
    """The actor, when not the account's owner (as the trail records it)."""
    if actor is None or not actor.is_authenticated or actor.pk == user.pk:
        return None
    return actor
