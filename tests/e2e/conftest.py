"""End-to-end fixtures: headless Chromium driving the portal served by ``live_server``.

Every test in this folder is marked ``browser`` (tests/environment.py skips it when
Chromium is missing, or fails it under ``PORTAL_REQUIRE_SERVICES``), runs on a
transactional database that gets the catalogue back before each test, and fails when a
page logs a JavaScript error or a Content-Security-Policy violation, and when the
HTML of a page it received has an error as the Nu Html Checker sees it (tests/markup.py;
the test is skipped, its HTML unchecked, when Java is missing). When a test fails,
a screenshot of each open page is saved and its path printed in the failure report.

    def test_workspace(page, sign_in, focal_mex):
        sign_in(page, focal_mex)
        page.goto("/en/workspace/")  # relative to the live server

Fixtures: ``chromium``, ``open_page`` (more pages, each with its own cookies), ``page``,
``page_problems`` and ``sign_in`` (tests/browser.py, for the whole suite);
``sample_pdf``. Axe-core's check of a page's current state: tests/e2e/checks.py.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import markup
from tests.browser import PAGES_KEY, PROBLEMS_KEY
from tests.pdf import minimal_pdf

if TYPE_CHECKING:
    from playwright.sync_api import Page

E2E_DIR = Path(__file__).resolve().parent

ARTIFACTS_KEY = pytest.StashKey[Path]()
DOCUMENTS_KEY = pytest.StashKey[markup.Documents]()


# --- Marking and reporting --------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    # A conftest hook sees the whole session's items: mark only this folder's.
    browsing = False
    for item in items:
        if E2E_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)
            browsing = True
    if browsing and not markup.checker_missing():
        # Its slow start overlaps the test database's creation.
        markup.CHECKER.start()


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
    documents = item.stash.get(DOCUMENTS_KEY, None)
    if documents is not None:
        markup.check(documents)
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


# --- Browser, pages and people ----------------------------------------------------


@pytest.fixture
def open_page(request, open_page) -> Iterator[Callable[[], Page]]:
    """The suite's ``open_page`` (tests/browser.py), keeping the HTML documents its
    pages receive, for the Nu Html Checker at the end of the test."""
    documents = markup.Documents()
    request.node.stash[DOCUMENTS_KEY] = documents

    def open_() -> Page:
        new_page = open_page()
        documents.watch(new_page)
        return new_page

    return open_


@pytest.fixture(autouse=True)
def _catalogue_survives_flush(django_db_serialized_rollback):
    """live_server needs a transactional database, which is emptied after each test;
    serialized rollback puts the migrated catalogue and the open cycle back."""


@pytest.fixture
def sample_pdf(tmp_path) -> Path:
    """A small, valid one-page PDF to upload as evidence."""
    path = tmp_path / "national-action-plan.pdf"
    path.write_bytes(minimal_pdf("National action plan against trafficking"))
    return path
