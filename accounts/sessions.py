"""Sessions: the two steps of a sign-in, idle sessions, and the absolute lifetime
counted from sign-in."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.models import Device

from accounts.models import User
from accounts.roles import (
    is_secretariat,
    roles_of,
)

# Where a password is checked (the backend recorded for a two-step sign-in).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
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
    """Sign the user out; the trail says why (see accounts.audit)."""
    request.portal_logout_kind = kind  # type: ignore[attr-defined]  # read back by the logout view
    request.portal_logout_detail = detail  # type: ignore[attr-defined]  # read back by the logout view
    logout(request)
