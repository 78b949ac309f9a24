"""A reviewer weighs a resubmitted update against the recommendation and the state's
previously accepted update, in the browser; the focal point finds the Secretariat's
comment at the top of the update's page and of its edit form."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import Role
from recommendations import services
from recommendations.models import ProgressUpdate
from recommendations.services import REVIEW_CHECKLIST, MeasureData
from tests import factories
from tests.e2e.checks import assert_clean
from tests.factories import content

COMMENT = "Give the date the plan was adopted, please."
OLD_SUMMARY = "A national plan is drafted by three ministries."
NEW_SUMMARY = "A national plan is adopted by three ministries."


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")


def region(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True)


def open_from_queue(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Review", exact=True
    ).click()
    page.get_by_role("table").get_by_role("link", name="Mexico", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Review: Mexico on recommendation 3"
    )


@pytest.fixture
def updates(cycle, focal_mex):
    """Mexico's accepted update on recommendation 3, and its next one, submitted."""
    if cycle.deadline < timezone.now() + timedelta(days=2):
        cycle.deadline = timezone.now() + timedelta(days=30)
        cycle.save(update_fields=["deadline"])
    alba = factories.secretariat(Role.ADMIN, username="alba")
    accepted = factories.progress_update(
        "MEX",
        3,
        author=focal_mex,
        reviewer=alba,
        status="planned",
        summary=OLD_SUMMARY,
        measures=[
            MeasureData(kind="policy", title="National action plan"),
            MeasureData(kind="awareness", title="Radio campaign"),
        ],
    )
    submitted = factories.progress_update(
        "MEX",
        3,
        author=focal_mex,
        steps=["submit"],
        status="planned",
        summary=OLD_SUMMARY,
        measures=[MeasureData(kind="policy", title="National action plan")],
    )
    return accepted, submitted


def test_a_reviewer_returns_then_accepts_with_the_context_and_what_changed(
    open_page, sign_in, reviewer, focal_mex, updates
):
    _accepted, update = updates
    secretariat, focal = open_page(), open_page()
    sign_in(secretariat, reviewer)
    sign_in(focal, focal_mex)

    # When the reviewer opens the update from the queue
    open_from_queue(secretariat)

    # Then the page shows the recommendation, and the state's accepted status
    recommendation = region(secretariat, "Recommendation 3")
    expect(recommendation.locator("blockquote")).to_contain_text(
        update.recommendation.text[:60]
    )
    previous = region(secretariat, "Previously accepted update")
    expect(previous.locator(".status")).to_have_text("Planned")
    expect(secretariat.get_by_role("button", name="Withdraw")).to_have_count(0)
    assert_clean(secretariat)

    # When the reviewer returns it with a comment
    review = region(secretariat, "Review")
    review.get_by_role("radio", name="Return to the state").check()
    review.get_by_label(exactly("Comment to the state")).fill(COMMENT)
    review.get_by_role("button", name="Record the decision").click()
    expect(secretariat.get_by_role("status")).to_have_text(
        "Returned to the state with your comment."
    )

    # Then the focal point finds the comment at the top of the update's page
    focal.goto(f"/en/updates/{update.pk}/")
    returned = region(focal, "Returned by the Secretariat")
    expect(returned.locator("blockquote")).to_have_text(COMMENT)
    expect(returned).to_contain_text(f"Returned by {reviewer.get_full_name()} on")
    assert_clean(focal)

    # And at the top of the form where they revise it
    focal.get_by_role("link", name="Edit", exact=True).click()
    expect(focal).to_have_url(re.compile(rf"/en/updates/{update.pk}/edit/$"))
    returned = region(focal, "Returned by the Secretariat")
    expect(returned.locator("blockquote")).to_have_text(COMMENT)
    assert_clean(focal)

    # When the focal point revises the update and submits it again
    update = ProgressUpdate.objects.get(pk=update.pk)
    services.progress_update_edit(
        update=update,
        actor=focal_mex,
        content=content(
            status="in_progress",
            summary=NEW_SUMMARY,
            measures=[
                MeasureData(kind="policy", title="National action plan"),
                MeasureData(kind="training", title="Course for judges"),
            ],
        ),
        expected_version=update.version,
    )
    services.progress_update_submit(
        update=ProgressUpdate.objects.get(pk=update.pk), actor=focal_mex
    )

    # Then the reviewer sees what changed since the accepted update, and the comment
    open_from_queue(secretariat)
    changes = region(secretariat, "What changed since")
    expect(changes.locator("del .status")).to_have_text("Planned")
    expect(changes.locator("ins .status")).to_have_text("In progress")
    summary = changes.locator(".diff").first
    expect(summary.locator("del")).to_have_text("Removed: drafted (end of removal)")
    expect(summary.locator("ins")).to_have_text("Added: adopted (end of addition)")
    expect(summary).to_have_attribute("lang", "en")
    expect(changes.locator("li", has_text="Added")).to_contain_text(
        "Training: Course for judges"
    )
    expect(changes.locator("li", has_text="Removed")).to_contain_text(
        "Awareness: Radio campaign"
    )
    expect(
        region(secretariat, "The Secretariat's latest comment").locator("blockquote")
    ).to_have_text(COMMENT)
    assert_clean(secretariat)

    # When the reviewer accepts it with the whole checklist
    review = region(secretariat, "Review")
    for label in REVIEW_CHECKLIST.values():
        review.get_by_label(exactly(str(label))).check()
    review.get_by_role("radio", name="Accept and publish").check()
    review.get_by_role("button", name="Record the decision").click()

    # Then it is the state's status, and the comment has left the top of its page
    expect(secretariat.get_by_role("status")).to_have_text(
        "Accepted: the update is now the state's status."
    )
    focal.goto(f"/en/updates/{update.pk}/")
    expect(region(focal, "Returned by the Secretariat")).to_have_count(0)
    expect(region(focal, "The Secretariat's latest comment")).to_have_count(0)
    assert ProgressUpdate.objects.get(pk=update.pk).review_state == "accepted"
