"""Each role signs in through the login form and lands on its start page: a focal
point's work due, a reviewer's queue, an admin's coverage, at desktop and phone
widths, clean for axe-core (and, by conftest, the Nu Html Checker)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from recommendations.models import ProgressUpdate
from tests import factories
from tests.e2e.checks import assert_clean

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def work(focal_mex, focal_bra, reviewer, cycle):
    """Mexico: an update returned with a comment, a draft, one waiting for review
    for nine days; Brazil: one accepted, one draft."""
    returned = factories.progress_update(
        "MEX",
        4,
        author=focal_mex,
        steps=["submit", "return"],
        reviewer=reviewer,
        comment="Give the dates of the three training sessions, please.",
    )
    draft = factories.progress_update("MEX", 3, author=focal_mex, steps=[])
    waiting = factories.progress_update("MEX", 6, author=focal_mex, steps=["submit"])
    ProgressUpdate.objects.filter(pk=waiting.pk).update(
        submitted_at=timezone.now() - timedelta(days=9)
    )
    factories.progress_update("BRA", 5, author=focal_bra, reviewer=reviewer)
    factories.progress_update("BRA", 7, author=focal_bra, steps=[])
    return {"returned": returned, "draft": draft, "waiting": waiting}


def landed_on_start(page) -> None:
    expect(page).to_have_url(re.compile(r"/en/start/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="My work")).to_have_attribute(
        "aria-current", "page"
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_focal_point_lands_on_what_is_due(page, sign_in, focal_mex, work, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, focal_mex)

    landed_on_start(page)
    due = page.get_by_role("region", name="Mexico: what is due")
    expect(due.get_by_role("heading", level=3).first).to_have_text(
        "Returned to you: 1 update to answer"
    )
    comment = due.get_by_text("Give the dates of the three training sessions")
    expect(comment).to_be_visible()
    expect(due.get_by_text(re.compile(r"\d+ days left\."))).to_be_visible()
    expect(due.get_by_text("1 draft to finish")).to_be_visible()
    expect(page.get_by_text("Brazil")).to_have_count(0)
    assert_clean(page)

    # The returned update is one click away
    due.get_by_role("link", name=re.compile(r"^4\.")).first.click()
    expect(page).to_have_url(re.compile(rf"/en/updates/{work['returned'].pk}/$"))


def test_a_reviewer_lands_on_the_queue(page, sign_in, reviewer, work):
    sign_in(page, reviewer)

    landed_on_start(page)
    queue = page.get_by_role("region", name="Review queue")
    expect(queue.get_by_text("1 update waits for review")).to_be_visible()
    waited = queue.get_by_text(re.compile(r"waiting for 1\xa0week, 2\xa0days"))
    expect(waited).to_be_visible()
    assert_clean(page)

    queue.get_by_role("link", name="Open the review queue").click()
    expect(page).to_have_url(re.compile(r"/en/review/$"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_secretariat_admin_lands_on_coverage(
    page, sign_in, secretariat_admin, work, viewport
):
    page.set_viewport_size(viewport)
    sign_in(page, secretariat_admin)

    landed_on_start(page)
    coverage = page.get_by_role("region", name="Coverage")
    expect(
        coverage.get_by_text(
            "2 of 32 participating member states have reported in this cycle."
        )
    ).to_be_visible()
    expect(page.get_by_role("region", name="Review queue")).to_be_visible()
    assert_clean(page)

    coverage.get_by_role("link", name="See the coverage of each state").click()
    expect(page).to_have_url(re.compile(r"/en/review/coverage/$"))


def test_the_unread_count_is_in_the_navigation(page, sign_in, reviewer, work):
    # Submitting Mexico's updates notified the reviewers
    unread = reviewer.notifications.count()
    assert unread
    sign_in(page, reviewer)

    main_nav = page.get_by_role("navigation", name="Main")
    link = main_nav.get_by_role(
        "link", name=f"Notifications {unread} unread", exact=True
    )
    expect(link).to_be_visible()
    link.click()
    expect(
        main_nav.get_by_role("link", name="Notifications", exact=True)
    ).to_be_visible()
    assert_clean(page)
