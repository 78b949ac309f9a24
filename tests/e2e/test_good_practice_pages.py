"""A reviewer marks a good practice for the report in the browser: the form is
labelled, works without scripts, passes axe (WCAG 2.2 AA) and breaks no CSP rule."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts.models import Role
from recommendations.models import GoodPracticeMark
from tests import factories

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def no_violations(page) -> None:
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": TAGS},
            "resultTypes": ["violations"],
        },
    )
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_reviewer_marks_and_unmarks_a_good_practice(
    page, sign_in, reviewer, focal_mex, cycle, lang
):
    carla = factories.secretariat(Role.REVIEWER, username="carla")
    update = factories.progress_update(
        "MEX",
        5,
        author=focal_mex,
        reviewer=carla,
        summary="Labour inspectors trained across the country.",
        narrative_visibility="public",
    )
    sign_in(page, reviewer)

    page.goto(f"/{lang}/updates/{update.pk}/")
    excerpt = page.locator("#id_excerpt")
    expect(excerpt).to_have_value("Labour inspectors trained across the country.")
    no_violations(page)
    excerpt.fill("Four hundred labour inspectors trained.")
    page.locator("#good-practice-heading ~ form button[type=submit]").last.click()

    expect(page.locator(".good-practice__excerpt")).to_have_text(
        "Four hundred labour inspectors trained."
    )
    assert GoodPracticeMark.objects.get().excerpt == (
        "Four hundred labour inspectors trained."
    )
    no_violations(page)
    page.goto(f"/{lang}/review/good-practices/")
    expect(page.get_by_text("Four hundred labour inspectors trained.")).to_be_visible()
    no_violations(page)

    page.goto(f"/{lang}/updates/{update.pk}/")
    page.locator(
        f"form[action='/{lang}/updates/{update.pk}/good-practice/unmark/'] button"
    ).click()
    expect(page.locator(".good-practice__excerpt")).to_have_count(0)
    assert not GoodPracticeMark.objects.filter(unmarked_at__isnull=True).exists()
