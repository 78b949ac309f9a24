"""In a browser: the Secretariat starts a report, watches its bar move, downloads it.

Uses the browser fixtures of tests/browser.py (headless Debian Chromium
against ``live_server``) and a real Celery worker in a thread over Redis, on a queue
of this test run's own.
"""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from reporting import pdf
from reporting.models import ReportRun
from tests.pdf import pdf_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    # live_server empties the database after each test: put the catalogue back
    pytest.mark.usefixtures("django_db_serialized_rollback"),
]

STEP_SECONDS = 2.0  # a longer report, so the bar is seen between its ends


@pytest.fixture
def slower_report(monkeypatch):
    """Stretch two stages so that a poll every 1.5 s catches the bar mid-way."""
    gather, layout = pdf.gather, pdf.layout

    def slow_gather(spec):
        time.sleep(STEP_SECONDS)
        return gather(spec)

    def slow_layout(html):
        time.sleep(STEP_SECONDS)
        return layout(html)

    monkeypatch.setattr(pdf, "gather", slow_gather)
    monkeypatch.setattr(pdf, "layout", slow_layout)


def test_the_secretariat_generates_watches_and_downloads_the_report(
    page,
    sign_in,
    page_problems,
    reviewer,
    some_updates,
    report_worker,
    slower_report,
):
    # Given a reviewer on the reports page
    sign_in(page, reviewer)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Reports", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Progress reports")
    expect(page.get_by_role("radio", name="English")).to_be_checked()

    # When they start a run with one click
    page.get_by_role("button", name="Generate the report").click()

    # Then the run's page shows a progress bar that moves, announced politely
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Hemispheric report, .* \(English\)$")
    )
    bar = page.get_by_role("progressbar", name="Progress")
    status = page.get_by_role("status").filter(has_text=re.compile(r"…|ready"))
    download = page.get_by_role("link", name=re.compile(r"^Download the PDF"))
    values, messages = [], []
    deadline = time.monotonic() + 90
    while not download.is_visible():
        assert time.monotonic() < deadline, f"no download link; bar went {values}"
        values.append(int(bar.get_attribute("value")))
        if status.count():
            messages.append(status.first.inner_text())
        page.wait_for_timeout(200)
    run = ReportRun.objects.get()
    assert run.state == "succeeded", run.error
    assert any(0 < value < 100 for value in values), values
    assert values == sorted(values)
    assert "Rendering the PDF…" in messages
    expect(
        page.get_by_role("status").filter(has_text="The report is ready")
    ).to_have_text(f"The report is ready: {run.page_count} pages.")
    expect(page.get_by_text(run.sha256)).to_be_visible()
    expect(page.get_by_role("link", name="Refresh")).to_have_count(0)

    # When they download the PDF
    with page.expect_download() as info:
        download.click()
    downloaded = info.value

    # Then it is the report, named for what it is
    assert re.fullmatch(
        r"tip-progress-report-eighth-meeting-oas-en-\d{4}-\d\d-\d\d-draft\.pdf",
        downloaded.suggested_filename,
    )
    data = Path(downloaded.path()).read_bytes()
    assert data == run.pdf.open("rb").read()
    text = " ".join(pdf_text(data).split())
    assert "Hemispheric progress report" in text
    # Mexico's profile in Annex A gives its status on the recommendation
    profile = text.split("Annex A")[-1].split(" Mexico ", 1)[1]
    assert re.search(r"Recommendation \d+: In progress\.", profile)
    assert page_problems.blocking() == []


def test_the_report_pages_meet_wcag_as_axe_checks_them(
    page,
    sign_in,
    reviewer,
    cycle,
    some_updates,
):
    finished = ReportRun.objects.create(
        cycle=cycle,
        language="en",
        as_of=some_updates[-1].reviewed_at,
        state="succeeded",
        stage="done",
        progress=100,
        attempts=1,
        sha256="c0" * 32,
        page_count=12,
        size=1234,
    )
    running = ReportRun.objects.create(
        cycle=cycle,
        language="es",
        as_of=finished.as_of,
        state="running",
        stage="rendering",
        progress=40,
        attempts=1,
        started_at=timezone.now(),
        heartbeat_at=timezone.now() + timedelta(minutes=5),  # alive through the test
    )
    sign_in(page, reviewer)
    for path in (
        "/en/reports/",
        "/en/reports/states/MEX/",
        f"/en/reports/texts/{cycle.slug}/es/",
        f"/en/reports/runs/{finished.pk}/",
        f"/en/reports/runs/{running.pk}/",
        "/en/reports/published/",
        "/es/reports/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
        results = Axe().run(
            page,
            options={
                "runOnly": {
                    "type": "tag",
                    "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
                },
                "resultTypes": ["violations"],
            },
        )
        assert results.violations_count == 0, f"{path}\n{results.generate_report()}"
