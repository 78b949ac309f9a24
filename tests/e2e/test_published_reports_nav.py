"""The public finds the published reports: the latest on the home page, with an
edition per language, and all of them through "Reports" in the navigation."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.e2e.checks import assert_clean


def test_the_public_finds_the_published_reports(page, cycle):
    english = factories.finished_report_run(
        cycle, language="en", published_at=timezone.now()
    )
    factories.finished_report_run(cycle, language="es", published_at=timezone.now())

    page.goto("/en/")
    latest = page.get_by_role("region", name="Latest progress report")
    expect(latest.get_by_role("link", name="English (PDF, 1 page)")).to_have_attribute(
        "href", f"/en/reports/published/{english.pk}/download/"
    )
    expect(latest.get_by_role("link", name="Spanish (PDF, 1 page)")).to_be_visible()
    assert_clean(page)

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Reports", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/en/reports/published/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Published progress reports"
    )
    assert_clean(page)
