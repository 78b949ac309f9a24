"""The portal's own middleware: the lifetime of sessions and required two-factor
sign-in, private answers kept out of caches, the audit trail's actor and address, and
the one CSP allowance the admin needs."""

from __future__ import annotations

from collections.abc import Callable

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import audit, security_views, sessions, two_factor
from accounts.models import SecurityEvent
from core.clients import client_ip

# What a user who must set up two-factor sign-in may still open.
SETUP_ALLOWED = {
    "two-factor-setup",
    "two-factor-recovery-codes",
    "logout",
    "set_language",
    "healthz",
    "readyz",
}


class SessionSecurityMiddleware:
    """For signed-in sessions: end those idle too long; end those that predate the
    user's two-factor sign-in (opened elsewhere with the password alone); send
    those the policy covers to set two-factor sign-in up before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.check(request) or self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        is_api = request.path_info.startswith("/api/")
        if sessions.session_lifetime_over(request):
            sessions.session_end(
                request, kind=SecurityEvent.Kind.SESSION_EXPIRED, detail="lifetime"
            )
            if is_api:
                return None  # answered as for anyone signed out
            hours = max(1, settings.SESSION_COOKIE_AGE // 3600)
            messages.info(
                request,
                ngettext(
                    "Sessions last at most %(hours)d hour. Sign in again to go on.",
                    "Sessions last at most %(hours)d hours. Sign in again to go on.",
                    hours,
                )
                % {"hours": hours},
            )
            return redirect_to_login(request.get_full_path())
        if sessions.session_idle_expired(request, user):
            minutes = max(1, request.session.get(sessions.IDLE_LIMIT_KEY, 0) // 60)
            sessions.session_end(
                request, kind=SecurityEvent.Kind.SESSION_EXPIRED, detail="idle"
            )
            if is_api:
                return None  # answered as for anyone signed out
            messages.info(
                request,
                _(
                    "You were signed out after %(minutes)d minutes without "
                    "activity. Sign in again to go on."
                )
                % {"minutes": minutes},
            )
            return redirect_to_login(request.get_full_path())
        if sessions.session_verified(request):
            return None
        if two_factor.has_two_factor(user):
            sessions.session_end(
                request,
                kind=SecurityEvent.Kind.SESSION_EXPIRED,
                detail="opened without the code of two-factor sign-in",
            )
            if is_api:
                return None
            return redirect_to_login(request.get_full_path())
        if two_factor.two_factor_required(user) and not self.allowed(request):
            if is_api:
                return JsonResponse(
                    {
                        "error": {
                            "code": "two_factor_setup_required",
                            "message": _(
                                "Two-factor sign-in is required for your role: set "
                                "it up in the portal first."
                            ),
                        }
                    },
                    status=403,
                )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('two-factor-setup')}?{query}")
        return None

    @staticmethod
    def allowed(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.url_name in SETUP_ALLOWED


class PrivateResponseMiddleware:
    """What is answered to a person is theirs alone: no browser, proxy or cache may
    keep it (``Cache-Control: private, no-store``). That is every answer to a
    signed-in request, by session or API token, and every answer to a request that
    carries credentials or changes something (the token endpoint's answer is a
    secret, though its request is anonymous)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)  # an API view sets the token's user
        if (
            (user is not None and user.is_authenticated)
            or "HTTP_AUTHORIZATION" in request.META
            or request.method not in ("GET", "HEAD")
        ):
            add_never_cache_headers(response)
        return response


class AddressLimitMiddleware:
    """A sign-in refused because its address failed too often gets a page (or the
    API's JSON) saying so, not the form's "wrong password" (see
    ``lockout.AddressLimitBackend``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        return security_views.address_limited_response(request) or response


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with the client's address as the portal reads
    it behind its proxy (the left of X-Forwarded-For is the client's to forge)."""

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        return None  # the proxy's port to the portal says nothing about the client

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = audit.current_request.set(request)
        try:
            return super().__call__(request)
        finally:
            audit.current_request.reset(token)


# django-guardian's object-permission page carries an empty <style> element (its
# content is one newline); its hash is allowed on the admin's pages, nothing else.
ADMIN_STYLE_HASH = "'sha256-AbpHGcgLb+kRsJGnwFEktk7uzpZOCcBY74+YBdrKVGs='"


class AdminCSPMiddleware:
    """The admin's pages: the same strict policy, plus the one hash above."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.app_name == "admin":
            response._csp_update = {"style-src": [ADMIN_STYLE_HASH]}  # type: ignore[attr-defined]  # django-csp reads it
        return response
