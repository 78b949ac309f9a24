"""Public pages are cached whole and revalidated cheaply, until something is published.

Everything the public sees changes only when an update is accepted, a report is
published or withdrawn, or the Secretariat edits the catalogue; each of those emits
the one event, ``changed()``. Once the transaction commits, a task renders the most
read pages under the next publication version and then makes it current
(core.page_cache), so no reader waits for a page after a publication. Pages are
cached under that version, and their ETag is made from it, so a browser or proxy
asking again gets a 304 without a query.
"""

import logging
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from kombu.exceptions import OperationalError

from core import page_cache
from core.page_cache import version
from core.tasks import warm_public_pages

__all__ = ["changed", "public_page", "version"]

logger = logging.getLogger(__name__)


def changed() -> None:
    """Something public changed: once the transaction commits (at once outside
    one), every cached page and ETag is stale. Readers inside the transaction's
    time keep the old pages, which still match what they can read."""
    transaction.on_commit(_publish)


def _publish() -> None:
    # Each publication asks for a rebuild; of several asked in a row, only the last
    # renders (the others find a later version asked for, and stop).
    new = page_cache.next_version()
    if not settings.PUBLICATION_WARM:
        page_cache.make_current(new)
        return
    try:
        warm_public_pages.delay(new)
    except OperationalError:
        # No broker: the new pages are rendered as readers ask for them.
        logger.warning("No broker to warm the pages: version %s made current.", new)
        page_cache.make_current(new)


def public_page(view):
    """Let the page cache store a public page and answer it with an ETag, for
    visitors without a session (core.page_cache.PageCacheMiddleware).

    Signed-in people get the page rendered afresh, with their navigation.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not page_cache.is_anonymous_visit(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        under = getattr(request, "publication_version", None) or version()
        etag = f'"{under}-{get_language()}"'
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        response = view(request, *args, **kwargs)
        if not page_cache.rendered_for_anyone(request, response):
            patch_cache_control(response, private=True, no_cache=True)
            return response
        page_cache.mark_storable(response)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper
