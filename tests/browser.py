"""The browser for the session: Debian's Chromium driven by Playwright's sync API.

One definition for the whole suite (the end-to-end tests, the report's browser test,
the API docs' test): Playwright's sync API cannot be started twice in one thread.
Pages for a test: ``open_page`` (more pages, each with its own cookies), ``page``,
``page_problems`` (what went wrong in them, see PageProblems) and ``sign_in``;
tests/conftest.py registers these fixtures for the whole suite.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from tests import environment
from tests.factories import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Page,
        Playwright,
        Request,
        Response,
    )

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 900}
LOCALE = "en"
TIMEOUT_MS = 10_000
CSP_MESSAGE = re.compile(r"content[- ]security[- ]policy", re.IGNORECASE)

# Where a test's pages and their problems are kept, for tests/e2e/conftest.py's hooks
PROBLEMS_KEY = pytest.StashKey["PageProblems"]()
PAGES_KEY = pytest.StashKey["list[Page]"]()


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


# --- What went wrong in the browser -----------------------------------------------


@dataclass
class PageProblems:
    """JavaScript errors, CSP violations and failed requests of a test's pages.

    JavaScript errors and CSP violations fail the test; failed requests (including a
    page answered with 403 or 404 on purpose) are only reported, for a test to assert
    on. ``ignore(pattern)`` lets a test tolerate an error it provokes.
    """

    js_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    ignored: list[re.Pattern] = field(default_factory=list)

    def ignore(self, pattern: str) -> None:
        self.ignored.append(re.compile(pattern))

    def blocking(self) -> list[str]:
        return [
            problem
            for problem in self.js_errors + self.csp_violations
            if not any(pattern.search(problem) for pattern in self.ignored)
        ]

    def anything(self) -> bool:
        return bool(self.js_errors or self.csp_violations or self.failed_requests)

    def describe(self) -> str:
        lines = []
        for title, entries in (
            ("JavaScript errors", self.js_errors),
            ("CSP violations", self.csp_violations),
            ("Failed requests", self.failed_requests),
        ):
            if entries:
                lines.append(f"{title}:")
                lines.extend(f"  {entry}" for entry in entries)
        return "\n".join(lines)

    def watch(self, page: Page) -> None:
        page.on(
            "pageerror", lambda error: self.js_errors.append(f"{page.url}: {error}")
        )
        page.on("console", lambda message: self._console(page, message))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = f"{page.url}: {message.text}"
        if CSP_MESSAGE.search(message.text):
            self.csp_violations.append(text)
        elif message.text.startswith("Failed to load resource"):
            pass  # the same failure, with its address, comes through _response
        else:
            self.js_errors.append(text)

    def _request_failed(self, request: Request) -> None:
        self.failed_requests.append(
            f"{request.method} {request.url}: {request.failure or 'failed'}"
        )

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            request = response.request
            self.failed_requests.append(
                f"{request.method} {response.url} ({request.resource_type}): "
                f"{response.status}"
            )


# --- Pages and people ----------------------------------------------------------------


@pytest.fixture
def page_problems(request) -> PageProblems:
    """The errors the test's pages logged; see PageProblems."""
    problems = PageProblems()
    request.node.stash[PROBLEMS_KEY] = problems
    return problems


@pytest.fixture
def open_page(
    request, chromium, live_server, page_problems
) -> Iterator[Callable[[], Page]]:
    """Open a page in a new browser context: its own cookies, so its own sign-in.

    Pages browse the live server (``page.goto("/en/")``) at 1280x900 in English;
    each is watched for errors and closed with its context at the end of the test.
    """
    contexts = []
    pages: list[Page] = []
    request.node.stash[PAGES_KEY] = pages

    def open_() -> Page:
        context = chromium.new_context(
            base_url=live_server.url, viewport=VIEWPORT, locale=LOCALE
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        new_page = context.new_page()
        page_problems.watch(new_page)
        pages.append(new_page)
        return new_page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page) -> Page:
    """A fresh page, signed in as nobody."""
    return open_page()


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """Sign a user in through the real login form: ``sign_in(page, user)``."""
    from playwright.sync_api import expect

    def sign_in_(
        page: Page, user, password: str = PASSWORD, language: str = "en"
    ) -> None:
        page.goto(f"/{language}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(
            page.get_by_role("button", name=f"Sign out ({user.username})")
        ).to_be_visible()

    return sign_in_
