"""End-to-end fixtures: headless Chromium driving the portal served by ``live_server``.

Every test in this folder is marked ``browser`` (tests/environment.py skips it when
Chromium is missing, or fails it under ``PORTAL_REQUIRE_SERVICES``), runs on a
transactional database that gets the catalogue back before each test, and fails when a
page logs a JavaScript error or a Content-Security-Policy violation. When a test fails,
a screenshot of each open page is saved and its path printed in the failure report.

    def test_workspace(page, sign_in, focal_mex):
        sign_in(page, focal_mex)
        page.goto("/en/workspace/")  # relative to the live server

Fixtures: ``chromium`` (session, from tests/browser.py); ``open_page`` (more pages, each
with its own cookies), ``page``, ``page_problems``, ``sign_in``, ``sample_pdf``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.factories import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import (
        ConsoleMessage,
        Page,
        Request,
        Response,
    )

E2E_DIR = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 900}
LOCALE = "en"
TIMEOUT_MS = 10_000
CSP_MESSAGE = re.compile(r"content[- ]security[- ]policy", re.IGNORECASE)

PROBLEMS_KEY = pytest.StashKey["PageProblems"]()
PAGES_KEY = pytest.StashKey["list[Page]"]()
ARTIFACTS_KEY = pytest.StashKey[Path]()


# --- Marking and reporting --------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    # A conftest hook sees the whole session's items: mark only this folder's.
    for item in items:
        if E2E_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    problems = item.stash.get(PROBLEMS_KEY, None)
    if problems is not None and problems.blocking():
        # Raised here, the test fails (in its call phase) rather than errors.
        pytest.fail(
            "The page logged errors during the test:\n" + problems.describe(),
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and report.when in ("setup", "call"):
        notes = _save_screenshots(item)
        problems = item.stash.get(PROBLEMS_KEY, None)
        # Problems that failed the test are in its message already.
        if problems is not None and problems.anything() and not problems.blocking():
            notes.append(problems.describe())
        if notes:
            report.sections.append(("browser", "\n".join(notes)))
    return report


def _artifacts_dir(config) -> Path:
    if ARTIFACTS_KEY not in config.stash:
        chosen = os.environ.get("PORTAL_E2E_ARTIFACTS")
        if chosen:
            Path(chosen).mkdir(parents=True, exist_ok=True)
            config.stash[ARTIFACTS_KEY] = Path(chosen)
        else:
            config.stash[ARTIFACTS_KEY] = Path(
                tempfile.mkdtemp(prefix="tip-portal-e2e-")
            )
    return config.stash[ARTIFACTS_KEY]


def _save_screenshots(item) -> list[str]:
    notes = []
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
    for number, page in enumerate(item.stash.get(PAGES_KEY, []), start=1):
        if page.is_closed():
            continue
        path = _artifacts_dir(item.config) / f"{name}-page{number}.png"
        try:
            page.screenshot(path=str(path), full_page=True, timeout=5_000)
        except Exception as error:  # a crashed page must not hide the real failure
            notes.append(f"page {number} ({page.url}): no screenshot: {error}")
        else:
            notes.append(f"page {number} ({page.url}): screenshot saved to {path}")
    return notes


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


# --- Browser, pages and people ----------------------------------------------------


@pytest.fixture(autouse=True)
def _catalogue_survives_flush(django_db_serialized_rollback):
    """live_server needs a transactional database, which is emptied after each test;
    serialized rollback puts the migrated catalogue and the open cycle back."""


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


@pytest.fixture
def sample_pdf(tmp_path) -> Path:
    """A small, valid one-page PDF to upload as evidence."""
    path = tmp_path / "national-action-plan.pdf"
    path.write_bytes(_minimal_pdf("National action plan against trafficking"))
    return path


def _minimal_pdf(text: str) -> bytes:
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
