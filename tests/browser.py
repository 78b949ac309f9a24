"""The browser for the session: Debian's Chromium driven by Playwright's sync API.

One definition for the whole suite (the end-to-end tests, the report's browser test,
the API docs' test): Playwright's sync API cannot be started twice in one thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests import environment

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def playwright(django_db_setup, django_db_blocker) -> Iterator[Playwright]:
    """Playwright's sync API for the session, started after the test database.

    While Playwright's event loop runs in this thread, asgiref gives Django a new
    database connection per asyncio context, not the one setup_databases() stored
    the serialized catalogue on: it is copied over, for serialized rollback. Those
    connections are closed before the loop stops, so the test database can be
    dropped at the end.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        why = "the Python package playwright is not installed"
        if environment.REQUIRE_SERVICES:
            pytest.fail(f"PORTAL_REQUIRE_SERVICES is set: {why}")
        pytest.skip(why)
    from django.db import connections

    # Playwright's sync API runs an event loop in the test's thread; without this
    # Django refuses ORM calls from the test body (checked at call time).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    manager = sync_playwright().start()
    try:
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        yield manager
    finally:
        with django_db_blocker.unblock():
            connections.close_all()
        manager.stop()


@pytest.fixture(scope="session")
def chromium(playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, shared by the session's tests."""
    browser = playwright.chromium.launch(
        executable_path=environment.CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()
