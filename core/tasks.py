import socket

from celery import shared_task
from django.conf import settings
from django.utils.module_loading import import_string

from core import page_cache


@shared_task
def ping() -> str:
    """Answer with the worker's host name: proves a worker took the task."""
    return f"pong from {socket.gethostname()}"


@shared_task
def warm_public_pages(version: str) -> int:
    """Render the most read public pages under ``version``, then make it current.

    Readers keep the previous version's pages until then. A rebuild overtaken by a
    later publication stops at once: the later one renders newer pages."""
    if not page_cache.is_latest(version):
        return 0
    try:
        paths = import_string(settings.PUBLICATION_WARM_PAGES)()
        return page_cache.warm(paths, under=version)
    finally:
        # Even if a page failed: the others are newer than what readers have.
        page_cache.make_current(version)
