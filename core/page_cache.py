"""Public pages served from the cache before the heavy middleware, and warmed.

Pages are stored under the publication version, as they leave the inner middleware
(every security header included), and answered right after ``SecurityMiddleware``
to visitors without a session: no session, database, URL resolution, CSRF or
authentication for a page already rendered. A page is stored only when its view
opted in (``core.publication.public_page``) and it was rendered for nobody in
particular. Each process keeps the pages it served last, so that the hit of a page
read often costs no round trip to the cache server.

The version moves by generations: a publication asks for the next one, the most read
pages are rendered under it while readers keep the current one, and only then is it
made current, never over a later one.
"""

import hashlib
import io
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import translation

from core import request_context

VERSION_KEY = "publication-version"
# The last generation asked for; versions are "<generation>-<random>".
GENERATION_KEY = "publication-generation"
FLIP_LOCK_KEY = "publication-version-lock"
# The last version asked for, and when: made current by readers if no rebuild does.
PENDING_KEY = "publication-pending"
PAGE_TIMEOUT = 60 * 60 * 24
# Set by the warm-up's own requests (a WSGI key, which no client header can make):
# render and store under this version, not the current one.
RENDER_VERSION = "portal.publication_version"
# The mark a public page's response carries when it may be stored for everyone.
STORABLE = "_public_page_storable"
# What a 304 leaves out of the stored headers: they describe a body it has not.
BODY_HEADERS = {"content-type", "content-length", "content-disposition"}
# Made for each request, never replayed from the store.
PER_REQUEST_HEADERS = {request_context.HEADER.lower()}


# --- The publication version -------------------------------------------------------


def version() -> str:
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, f"0-{uuid.uuid4().hex[:8]}", None)
        current = cache.get(VERSION_KEY)
    _remember(current)
    return current


# The version as this process last read it, and until when it may be trusted.
_remembered: tuple[float, str] = (0.0, "")


def _remember(current: str) -> None:
    global _remembered
    _remembered = (time.monotonic() + settings.PAGE_CACHE_VERSION_SECONDS, current)


def version_for_readers() -> str:
    """The version, read from the cache at most once a PAGE_CACHE_VERSION_SECONDS
    in each process: a cached page then costs one cache read, not two. A reader may
    get the previous version's page that long after a publication; this process's
    own publications are seen at once."""
    until, current = _remembered
    if current and time.monotonic() < until:
        return current
    found = cache.get_many([VERSION_KEY, PENDING_KEY])
    current = found.get(VERSION_KEY) or version()
    pending, asked_at = found.get(PENDING_KEY) or ("", 0.0)
    if (
        generation(pending) > generation(current)
        and time.time() - asked_at > settings.PUBLICATION_WARM_TIMEOUT
    ):
        # No worker finished the rebuild in time (none running, or stuck): readers
        # get the new version, rendered as they ask, rather than the old for ever.
        make_current(pending)
        return version()
    _remember(current)
    return current


def generation(of_version: str) -> int:
    """A version's generation; the versions made before generations count as 0."""
    number, dash, _rest = of_version.partition("-")
    return int(number) if dash and number.isdigit() else 0


def next_version() -> str:
    """A version later than every one asked for so far (not yet current)."""
    cache.add(GENERATION_KEY, generation(version()), None)
    new = f"{cache.incr(GENERATION_KEY)}-{uuid.uuid4().hex[:8]}"
    cache.set(PENDING_KEY, (new, time.time()), None)
    return new


def is_latest(candidate: str) -> bool:
    """Whether no later version was asked for since: else its rebuild is moot."""
    return generation(candidate) >= (cache.get(GENERATION_KEY) or 0)


def make_current(candidate: str) -> bool:
    """Readers get ``candidate``'s pages from now on, unless a later version is
    current already: a rebuild finishing late never takes the site back."""
    for _attempt in range(100):
        # A lock, as the cache has no compare-and-set: two rebuilds finishing together
        # must not both read the old version and write in the wrong order.
        if cache.add(FLIP_LOCK_KEY, 1, 10):
            try:
                if generation(version()) >= generation(candidate):
                    return False
                cache.set(VERSION_KEY, candidate, None)
                _remember(candidate)
                return True
            finally:
                cache.delete(FLIP_LOCK_KEY)
        time.sleep(0.02)
    raise TimeoutError("The publication version stayed locked for two seconds.")


# --- Who may be served the public copy ----------------------------------------------


def personal_cookies() -> tuple[str, ...]:
    """The cookies of a visitor who may see something personal (their name, a
    message), by the names the settings give them: production calls the session
    cookie ``__Host-sessionid``, not ``sessionid``."""
    return (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name)


def is_anonymous_visit(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and "HTTP_AUTHORIZATION" not in request.META
        and not any(name in request.COOKIES for name in personal_cookies())
    )


def rendered_for_anyone(request, response) -> bool:
    """Whether a page may be stored for every visitor: rendered for nobody in
    particular, and setting no cookie. The user is asked too, so that a cookie of
    another name carrying a session can never put a person's page in the cache."""
    user = getattr(request, "user", None)
    return (
        response.status_code == 200
        and not response.cookies
        and not response.streaming
        and not (user is not None and user.is_authenticated)
    )


def mark_storable(response) -> None:
    setattr(response, STORABLE, True)


def page_key(request, under: str) -> str:
    # The host and scheme as well as the path: a page may link to itself in full.
    # get_host() refuses a host not allowed, as CommonMiddleware would.
    url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"page:{under}:{hashlib.sha256(url.encode()).hexdigest()[:32]}"


class _LocalPages:
    """The pages this process served last, up to a number of bytes: a page asked for
    again skips the cache server too. Keys carry the version, so a publication
    leaves the old entries unread until they are pushed out."""

    def __init__(self) -> None:
        self.pages: OrderedDict[str, tuple[bytes, list]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str):
        with self.lock:
            found = self.pages.get(key)
            if found is not None:
                self.pages.move_to_end(key)
            return found

    def put(self, key: str, stored: tuple[bytes, list]) -> None:
        limit = settings.PAGE_CACHE_LOCAL_BYTES
        if len(stored[0]) > limit:
            return
        with self.lock:
            if key in self.pages:
                return
            self.pages[key] = stored
            self.size += len(stored[0])
            while self.size > limit:
                _key, (content, _headers) = self.pages.popitem(last=False)
                self.size -= len(content)


local_pages = _LocalPages()


# --- The middleware -------------------------------------------------------------------


class PageCacheMiddleware:
    """Answers a visitor without a session from the cache, or lets the page be
    rendered and stores it as the inner middleware leaves it. A page this process
    served lately costs no cache read; another one read (the page), two when the
    version must be read again."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Pages are under a language prefix (i18n_patterns); the API and static
        # files are not, and cost no cache read.
        self.prefixes = tuple(f"/{code}/" for code, _name in settings.LANGUAGES)

    def __call__(self, request):
        if not (
            request.path_info.startswith(self.prefixes) and is_anonymous_visit(request)
        ):
            return self.get_response(request)
        under = request.META.get(RENDER_VERSION) or version_for_readers()
        request.publication_version = under
        key = page_key(request, under)
        stored = local_pages.get(key)
        if stored is None:
            stored = cache.get(key)
            if stored is not None:
                local_pages.put(key, stored)
        if stored is not None:
            return self.from_store(request, *stored)
        response = self.get_response(request)
        if (
            request.method == "GET"
            and getattr(response, STORABLE, False)
            and rendered_for_anyone(request, response)
        ):
            headers = [
                (name, value)
                for name, value in response.items()
                if name.lower() not in PER_REQUEST_HEADERS
            ]
            cache.set(key, (response.content, headers), PAGE_TIMEOUT)
        return response

    @staticmethod
    def from_store(request, content: bytes, headers: list[tuple[str, str]]):
        etag = {name.lower(): value for name, value in headers}.get("etag")
        response: HttpResponse
        if etag and etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
            for name, value in headers:
                if name.lower() not in BODY_HEADERS:
                    response.headers[name] = value
        else:
            # HEAD: the headers of the page, its length included, and no body.
            response = HttpResponse(
                content if request.method == "GET" else b"", headers=dict(headers)
            )
        response[request_context.HEADER] = request_context.request_id_for(
            request.headers.get(request_context.HEADER)
        )
        return response


# --- The warm-up ---------------------------------------------------------------------


def _request_for(path: str, under: str) -> WSGIRequest:
    """An anonymous GET as the public's arrives: at SITE_URL's host and scheme, through
    the proxy in production."""
    site = urlsplit(settings.SITE_URL)
    secure = site.scheme == "https"
    path, _question, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": site.hostname or "localhost",
        "SERVER_PORT": str(site.port or (443 if secure else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": site.netloc,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": site.scheme or "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        RENDER_VERSION: under,
    }
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if secure and proxy_header:
        environ[proxy_header[0]] = proxy_header[1]
    return WSGIRequest(environ)


def warm(paths: Iterable[str], *, under: str) -> int:
    """Render ``paths`` through the whole middleware, as the public would ask for them,
    storing each page under version ``under``. Returns how many are stored.

    The handler, not the test client: the same middleware and view, without the
    request signals."""
    handler = BaseHandler()
    handler.load_middleware()
    stored = 0
    with translation.override(translation.get_language()):
        for path in paths:
            request = _request_for(path, under)
            # Not closed: closing sends request_finished, which would close the
            # database connection after each page.
            handler.get_response(request)
            if cache.has_key(page_key(request, under)):
                stored += 1
    return stored
