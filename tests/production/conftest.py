"""The production-parity tier: the portal as deployed, started once for the folder.

Every test in this folder is marked ``production`` (tests/environment.py skips it
when gunicorn, Caddy, redis-server, certutil, PostgreSQL or Chromium is missing, or
fails it under ``PORTAL_REQUIRE_SERVICES``). ``stack`` (tests/production/stack.py)
is the running stack; the tests reach it over HTTPS only, as a visitor does. When a
test fails, the end of each process's log is printed, and a screenshot of each of
its pages saved. The HTML of every page its browser receives must pass the Nu Html
Checker (tests/markup.py), as in tests/e2e.

Fixtures: ``stack`` (``stack.client()`` is a visitor with no cookies,
``stack.sign_in(username)`` one signed in through the login form),
``trusted_chromium`` (Chromium trusting Caddy's authority), ``open_page`` (a page of
its own in that browser), ``page_problems``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import environment, markup
from tests.browser import CHROMIUM_ARGS, PageProblems
from tests.production.stack import Stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

HERE = Path(__file__).resolve().parent
STACK_KEY = pytest.StashKey[Stack]()
PAGES_KEY = pytest.StashKey["list[Page]"]()
PROBLEMS_KEY = pytest.StashKey[PageProblems]()
DOCUMENTS_KEY = pytest.StashKey[markup.Documents]()
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    # A conftest hook sees the whole session's items: mark only this folder's.
    deployed = False
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.production)
            deployed = True
    if deployed and not markup.checker_missing():
        markup.CHECKER.start()  # its slow start overlaps the stack's


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    documents = item.stash.get(DOCUMENTS_KEY, None)
    if documents is not None:
        markup.check(documents)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and HERE in item.path.resolve().parents:
        for number, page in enumerate(item.stash.get(PAGES_KEY, []), start=1):
            report.sections.append(("browser", _screenshot(item, number, page)))
        problems = item.stash.get(PROBLEMS_KEY, None)
        if problems is not None and problems.anything():
            report.sections.append(("browser problems", problems.describe()))
        stack = item.config.stash.get(STACK_KEY, None)
        if stack is not None:
            report.sections.append(("production stack logs", stack.log_tails()))
    return report


def _screenshot(item, number: int, page: Page) -> str:
    stack = item.config.stash.get(STACK_KEY, None)
    if stack is None or page.is_closed():
        return f"page {number}: closed"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)[-80:]
    path = stack.folder / f"{name}-page{number}.png"
    try:
        page.screenshot(path=str(path), full_page=True, timeout=5_000)
    except Exception as error:  # a crashed page must not hide the real failure
        return f"page {number} ({page.url}): no screenshot: {error}"
    return f"page {number} ({page.url}): screenshot saved to {path}"


@pytest.fixture(scope="package")
def stack(request, tmp_path_factory) -> Iterator[Stack]:
    """The running stack, started once; stopped, and its database dropped, after
    the last test of this folder, even when starting it failed half-way."""
    running = Stack(tmp_path_factory.mktemp("production"))
    request.config.stash[STACK_KEY] = running
    try:
        running.up()
        yield running
    finally:
        running.down()


@pytest.fixture(scope="package")
def trusted_chromium(playwright, stack) -> Iterator[Browser]:
    """Debian's Chromium trusting Caddy's local authority, and nothing more.

    Chromium on Linux reads the authorities a user trusts from the NSS database in
    ``$HOME/.pki/nssdb``; this browser gets a home of its own whose database trusts
    Caddy's root certificate (``certutil -t C,,``), so TLS is verified for real.
    Playwright's ``ignore_https_errors`` would accept any certificate at all, and
    the session's shared browser (tests/browser.py) cannot be given a trust store
    after its launch, so this one is launched from the session's Playwright.
    """
    home = stack.folder / "browser-home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    for command in (
        ["certutil", "-N", "--empty-password", "-d", f"sql:{nssdb}"],
        [
            *("certutil", "-A", "-d", f"sql:{nssdb}", "-t", "C,,"),
            *("-n", "caddy-local-authority", "-i", str(stack.root_certificate)),
        ],
    ):
        subprocess.run(command, check=True, capture_output=True)
    browser = playwright.chromium.launch(
        executable_path=environment.CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        env={**os.environ, "HOME": str(home)},
    )
    yield browser
    browser.close()


@pytest.fixture
def open_page(request, trusted_chromium, stack) -> Iterator[Callable[[], Page]]:
    """Open a page in a new browser context (its own cookies) on the stack's origin.

    JavaScript errors, CSP violations and failed requests of every page are kept
    in ``request.node.stash[PROBLEMS_KEY]``.
    """
    problems = PageProblems()
    request.node.stash[PROBLEMS_KEY] = problems
    pages: list[Page] = []
    request.node.stash[PAGES_KEY] = pages
    documents = markup.Documents()
    request.node.stash[DOCUMENTS_KEY] = documents
    contexts = []

    def open_() -> Page:
        context = trusted_chromium.new_context(
            base_url=stack.origin, viewport={"width": 1280, "height": 900}, locale="en"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        documents.watch(page)
        pages.append(page)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page_problems(request, open_page) -> PageProblems:
    return request.node.stash[PROBLEMS_KEY]
