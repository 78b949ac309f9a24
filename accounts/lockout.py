"""Sign-in protection: django-axes's lockout of one username from one address,
and the portal's own limit on failed sign-ins from one address whatever the
usernames (password spraying). The pages that say so are in security_views."""

from __future__ import annotations

import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from core import limits
from core.clients import client_ip


def lockout_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds()) if cool_off else 0


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
