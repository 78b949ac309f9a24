"""Public pages are cached whole and revalidated cheaply, until something is published.

Everything the public sees changes only when an update is accepted, a report is
published or withdrawn, or the Secretariat edits the catalogue; each of those emits
the one event, ``changed()``, which moves the publication version once the
transaction commits. Pages are cached under that version, and their
ETag is made from it, so a browser or proxy asking again gets a 304 without a query.
"""

import uuid
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

VERSION_KEY = "publication-version"
PAGE_TIMEOUT = 60 * 60 * 24


def version() -> str:
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex[:12], None)
        current = cache.get(VERSION_KEY)
    return current


def changed() -> None:
    """Something public changed: once the transaction commits (at once outside
    one), every cached page and ETag is stale. Readers inside the transaction's
    time keep the old pages, which still match what they can read."""
    transaction.on_commit(_new_version)


def _new_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex[:12], None)


def _personal_cookies() -> tuple[str, ...]:
    """The cookies of a visitor who may see something personal (their name, a
    message), by the names the settings give them: production calls the session
    cookie ``__Host-sessionid``, not ``sessionid``."""
    return (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name)


def _is_anonymous_visit(request) -> bool:
    return request.method in ("GET", "HEAD") and not any(
        name in request.COOKIES for name in _personal_cookies()
    )


def _rendered_for_anyone(request, response) -> bool:
    """Whether a page may be stored for every visitor: rendered for nobody in
    particular, and setting no cookie. The session is asked too, so that a cookie
    of another name carrying a session can never put a person's page in the cache."""
    user = getattr(request, "user", None)
    return (
        response.status_code == 200
        and not response.cookies
        and not response.streaming
        and not (user is not None and user.is_authenticated)
    )


# What a view says about its answer, kept with the cached copy: a download's file name
# and licence matter as much as its bytes. The security headers are the middleware's.
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language", "Link")


def public_page(view):
    """Serve a public page from the cache, with an ETag, to visitors without a session.

    Signed-in people get the page rendered afresh, with their navigation.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _is_anonymous_visit(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        etag = f'"{version()}-{get_language()}"'
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        key = f"page:{etag}:{request.get_full_path()}"
        cached = cache.get(key)
        if cached is None:
            response = view(request, *args, **kwargs)
            if not _rendered_for_anyone(request, response):
                patch_cache_control(response, private=True, no_cache=True)
                return response
            headers = {
                name: response[name]
                for name in KEPT_HEADERS
                if response.has_header(name)
            }
            cache.set(key, (response.content, headers), PAGE_TIMEOUT)
        else:
            content, headers = cached
            response = HttpResponse(content, headers=headers)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper
