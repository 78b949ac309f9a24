"""In a browser: the run page's words follow the run, from queued to succeeded, and
say the same after a reload without scripts; the reports page's forms read as the
portal's other forms do.

Uses the browser fixtures of tests/browser.py and a real Celery worker in a thread
over Redis (tests/reporting/conftest.py).
"""

import re

import pytest
from playwright.sync_api import expect

from reporting.models import ReportRun
from tests.browser import VIEWPORT
from tests.e2e.checks import assert_clean

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.usefixtures("django_db_serialized_rollback"),
]


def test_the_run_page_follows_the_run_to_its_end(
    page, sign_in, reviewer, some_updates, report_worker, chromium, live_server
):
    # Given a reviewer on the reports page, where the state's form has its label
    # above its select and its button beside it, clear of the footer
    sign_in(page, reviewer)
    page.goto("/en/reports/")
    assert_clean(page)
    label = page.get_by_text("Member state", exact=True).bounding_box()
    select = page.get_by_label("Member state", exact=True).bounding_box()
    button = page.get_by_role("button", name="Open its reports").bounding_box()
    footer = page.get_by_role("contentinfo").bounding_box()
    assert label["y"] + label["height"] <= select["y"]
    assert button["x"] >= select["x"] + select["width"]
    assert abs((button["y"] + button["height"]) - (select["y"] + select["height"])) <= 2
    assert footer["y"] - (select["y"] + select["height"]) >= 16

    # When they ask for the hemispheric report and its page follows the run
    page.get_by_role("button", name="Generate the report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Hemispheric report")
    )
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"The report is ready: \d+ pages\."), timeout=90_000
    )

    # Then nothing on the page still says it is queued
    run = ReportRun.objects.get()
    assert run.state == "succeeded", run.error
    text = page.locator("main").inner_text()
    assert "queued" not in text.lower(), text
    assert "Waiting for a worker" not in text
    expect(page.locator("[data-report-state]")).to_have_text("Succeeded")
    assert_clean(page)

    # And after a reload without scripts, the page says the same
    context = chromium.new_context(
        base_url=live_server.url, viewport=VIEWPORT, java_script_enabled=False
    )
    try:
        context.add_cookies(page.context.cookies())
        plain = context.new_page()
        plain.goto(run.get_absolute_url())
        expect(plain.get_by_role("status")).to_have_text(
            f"The report is ready: {run.page_count} pages."
        )
        assert "queued" not in plain.locator("main").inner_text().lower()
    finally:
        context.close()
