"""Absolute links for what leaves the portal (emails, the feed, the open data): always
on SITE_URL, never on the Host header a request carried."""

from django.conf import settings


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
