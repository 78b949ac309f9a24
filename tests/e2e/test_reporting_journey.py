"""The reporting journey, in a browser, as the issue tells it.

"A focal point logs in, files a draft with a measure and an evidence file, submits; a
reviewer returns it with a comment; the focal point revises and resubmits; the reviewer
accepts; the dashboard shows the new status."
"""

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from recommendations import services
from recommendations.models import (
    ProgressUpdate,
    Recommendation,
    ReviewState,
    UpdateEvent,
)
from recommendations.services import REVIEW_CHECKLIST
from tests.factories import content

NUMBER = 3
SUMMARY = "Mexico adopted a national action plan with three ministries."
REVISED_SUMMARY = (
    "Mexico adopted its national action plan on 20 June 2024; "
    "three ministries carry it out."
)
NARRATIVE = "The inter-ministerial **commission** met four times in 2024."
MEASURE = "National action plan against trafficking in persons 2024-2028"
SECOND_MEASURE = "Training of 300 labour inspectors"
COMMENT = "Please give the date the plan was adopted, and list the training."


def exactly(text: str) -> re.Pattern:
    """A label's text exactly, with or without the colon Django's forms add."""
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")


def flash(page: Page) -> Locator:
    return page.get_by_role("status")


def fact(page: Page, term: str) -> Locator:
    """The value beside ``term`` in the update's facts (review state, status...)."""
    return page.locator("dl.facts dt", has_text=exactly(term)).locator(
        "xpath=following-sibling::dd[1]"
    )


def region(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True)


def dashboard_row(page: Page, number: int) -> Locator:
    return page.get_by_role("row").filter(
        has=page.get_by_role("link", name=f"Recommendation {number}", exact=True)
    )


def expect_history(page: Page, steps: list[str]) -> None:
    entries = region(page, "History").get_by_role("listitem")
    expect(entries).to_have_count(len(steps))
    for entry, step in zip(entries.all(), steps, strict=True):
        expect(entry.locator("strong").first).to_have_text(step)


def open_workspace(page: Page) -> None:
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Workspace", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Mexico: progress on the recommendations"
    )


def open_review_queue(page: Page) -> None:
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Updates waiting for review"
    )


@pytest.fixture
def open_cycle(cycle):
    # The migrated cycle's deadline is a real date; the journey needs it ahead.
    if cycle.deadline < timezone.now() + timedelta(days=2):
        cycle.deadline = timezone.now() + timedelta(days=30)
        cycle.save(update_fields=["deadline"])
    return cycle


def test_focal_point_and_reviewer_take_an_update_to_accepted(
    open_page, sign_in, focal_mex, reviewer, open_cycle, sample_pdf
):
    # Given a focal point of Mexico and a reviewer, each in their own browser
    focal = open_page()
    secretariat = open_page()
    sign_in(focal, focal_mex)
    sign_in(secretariat, reviewer)

    # When the focal point files a draft with a measure
    open_workspace(focal)
    row = dashboard_row(focal, NUMBER)
    expect(row).to_contain_text("No information")
    expect(row).to_contain_text("Nothing pending")
    row.get_by_role("link", name=f"File an update on recommendation {NUMBER}").click()
    expect(focal.get_by_role("heading", level=1)).to_have_text(
        f"New update: Recommendation {NUMBER}"
    )
    expect(focal.get_by_role("note")).to_contain_text("No update may identify a victim")
    focal.get_by_role("radio", name="In progress").check()
    focal.get_by_label(exactly("Public summary")).fill(SUMMARY)
    focal.get_by_label(exactly("Narrative")).fill(NARRATIVE)
    focal.get_by_role("radio", name="Public", exact=True).check()
    measure = focal.get_by_role("group", name="Measure 1", exact=True)
    measure.get_by_label(exactly("Type")).select_option(label="Policy or plan")
    measure.get_by_label(exactly("Title")).fill(MEASURE)
    measure.get_by_label(exactly("Date")).fill("2024-06-20")
    measure.get_by_label(exactly("Link")).fill("https://www.gob.mx/plan-trata")
    focal.get_by_role("button", name="Save draft").click()

    # Then the draft is saved and shown as such
    expect(flash(focal)).to_have_text("Draft saved.")
    expect(focal.get_by_role("heading", level=1)).to_have_text(
        f"Mexico on recommendation {NUMBER}"
    )
    expect(fact(focal, "Review state")).to_have_text("Draft")
    expect(fact(focal, "Status")).to_have_text("In progress")
    expect(region(focal, "Public summary")).to_contain_text(SUMMARY)
    expect(region(focal, "Measures taken")).to_contain_text(
        f"Policy or plan: {MEASURE}"
    )
    expect(region(focal, "Evidence")).to_contain_text("No file attached.")

    # When the focal point attaches a PDF as evidence
    focal.get_by_label(exactly("Evidence file")).set_input_files(sample_pdf)
    focal.get_by_role("button", name="Attach the file").click()

    # Then the file is listed
    expect(flash(focal)).to_have_text(f"“{sample_pdf.name}” attached.")
    evidence = region(focal, "Evidence")
    expect(evidence.get_by_role("link", name=sample_pdf.name)).to_be_visible()

    # When the focal point submits the update
    focal.get_by_role("button", name="Submit for review").click()

    # Then it waits for review and can no longer be edited
    expect(flash(focal)).to_have_text("Submitted to the Secretariat for review.")
    expect(fact(focal, "Review state")).to_have_text("Submitted")
    expect(focal.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(focal.get_by_role("button", name="Withdraw")).to_be_visible()
    expect_history(focal, ["Created", "Evidence added", "Submitted"])

    # When the reviewer returns it with a comment
    open_review_queue(secretariat)
    queue = secretariat.get_by_role("table")
    expect(queue.locator("caption")).to_have_text("1 update waiting")
    queue.get_by_role("link", name="Mexico", exact=True).click()
    expect(fact(secretariat, "Review state")).to_have_text("Submitted")
    expect(
        region(secretariat, "Evidence").get_by_role("link", name=sample_pdf.name)
    ).to_be_visible()
    review = region(secretariat, "Review")
    review.get_by_role("radio", name="Return to the state").check()
    review.get_by_label(exactly("Comment to the state")).fill(COMMENT)
    review.get_by_role("button", name="Record the decision").click()

    # Then the queue is empty
    expect(flash(secretariat)).to_have_text("Returned to the state with your comment.")
    expect(secretariat.get_by_role("table")).to_contain_text(
        "Nothing is waiting for review."
    )

    # And the focal point sees the comment on the dashboard and on the update
    open_workspace(focal)
    row = dashboard_row(focal, NUMBER)
    expect(row).to_contain_text("Returned")
    expect(row.locator("blockquote")).to_have_text(f"The Secretariat asks: {COMMENT}")
    row.get_by_role("link", name=f"Open the update on recommendation {NUMBER}").click()
    expect(fact(focal, "Review state")).to_have_text("Returned")
    expect_history(focal, ["Created", "Evidence added", "Submitted", "Returned"])
    returned = region(focal, "History").get_by_role("listitem").last
    expect(returned.locator("blockquote")).to_have_text(COMMENT)

    # When the focal point revises the update and resubmits it
    focal.get_by_role("link", name="Edit", exact=True).click()
    expect(focal.get_by_role("heading", level=1)).to_have_text(
        f"Edit the update: Recommendation {NUMBER}"
    )
    summary = focal.get_by_label(exactly("Public summary"))
    expect(summary).to_have_value(SUMMARY)
    summary.fill(REVISED_SUMMARY)
    expect(
        focal.get_by_role("group", name="Measure 1", exact=True).get_by_label(
            exactly("Title")
        )
    ).to_have_value(MEASURE)
    measure = focal.get_by_role("group", name="Measure 2", exact=True)
    measure.get_by_label(exactly("Type")).select_option(label="Training")
    measure.get_by_label(exactly("Title")).fill(SECOND_MEASURE)
    focal.get_by_role("button", name="Save draft").click()
    expect(flash(focal)).to_have_text("Draft saved.")
    expect(fact(focal, "Review state")).to_have_text("Draft")
    focal.get_by_role("button", name="Submit for review").click()

    # Then it is submitted again, with its history and its evidence
    expect(flash(focal)).to_have_text("Submitted to the Secretariat for review.")
    expect(fact(focal, "Review state")).to_have_text("Submitted")
    expect(region(focal, "Public summary")).to_contain_text(REVISED_SUMMARY)
    expect(region(focal, "Measures taken")).to_contain_text(
        f"Training: {SECOND_MEASURE}"
    )
    expect(
        region(focal, "Evidence").get_by_role("link", name=sample_pdf.name)
    ).to_be_visible()
    expect_history(
        focal,
        [
            "Created",
            "Evidence added",
            "Submitted",
            "Returned",
            "Reopened for revision",
            "Edited",
            "Submitted",
        ],
    )

    # When the reviewer accepts it, with the whole checklist
    open_review_queue(secretariat)
    secretariat.get_by_role("table").get_by_role(
        "link", name="Mexico", exact=True
    ).click()
    expect(region(secretariat, "Public summary")).to_contain_text(REVISED_SUMMARY)
    review = region(secretariat, "Review")
    for label in REVIEW_CHECKLIST.values():
        review.get_by_label(exactly(str(label))).check()
    review.get_by_role("radio", name="Accept and publish").check()
    review.get_by_role("button", name="Record the decision").click()
    expect(flash(secretariat)).to_have_text(
        "Accepted: the update is now the state's status."
    )

    # Then the focal point's dashboard shows the new status, nothing pending
    open_workspace(focal)
    row = dashboard_row(focal, NUMBER)
    expect(row.get_by_role("cell").nth(0)).to_contain_text("In progress")
    expect(row.get_by_role("cell").nth(0)).to_contain_text("accepted")
    expect(row).to_contain_text("Nothing pending")
    expect(
        row.get_by_role("link", name=f"File a new update on recommendation {NUMBER}")
    ).to_be_visible()
    row.get_by_role("link", name=re.compile(r"^accepted ")).click()
    expect(fact(focal, "Review state")).to_have_text("Accepted")
    expect(focal.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    # And the database holds the accepted update and every step, in order
    update = ProgressUpdate.objects.get(
        cycle=open_cycle, member_state__iso3="MEX", recommendation__number=NUMBER
    )
    assert update.review_state == ReviewState.ACCEPTED
    assert update.status == "in_progress"
    assert update.summary == REVISED_SUMMARY
    assert update.narrative_visibility == "public"
    assert update.author == focal_mex
    assert update.reviewed_by == reviewer
    assert [m.title for m in update.measures.all()] == [MEASURE, SECOND_MEASURE]
    [evidence] = update.evidence.all()
    assert evidence.original_name == sample_pdf.name
    assert evidence.content_type == "application/pdf"
    assert evidence.sha256 == hashlib.sha256(sample_pdf.read_bytes()).hexdigest()
    events = list(
        UpdateEvent.objects.filter(update=update).values_list(
            "action", "actor__username", "comment"
        )
    )
    assert [(action, actor) for action, actor, _ in events] == [
        ("created", focal_mex.username),
        ("evidence_added", focal_mex.username),
        ("submitted", focal_mex.username),
        ("returned", reviewer.username),
        ("revised", focal_mex.username),
        ("edited", focal_mex.username),
        ("submitted", focal_mex.username),
        ("accepted", reviewer.username),
    ]
    assert events[3][2] == COMMENT
    versions = list(update.events.values_list("version", flat=True))
    assert versions == sorted(versions) and versions[-1] == update.version


@pytest.mark.parametrize("form", ["new", "edit"])
def test_save_and_submit_says_the_update_was_submitted(
    page, sign_in, focal_mex, mexico, open_cycle, form
):
    # Given a focal point on the form of a new update, or of a draft
    if form == "edit":
        services.progress_update_create(
            actor=focal_mex,
            cycle=open_cycle,
            member_state=mexico,
            recommendation=Recommendation.objects.get(number=NUMBER),
            content=content(),
        )
    sign_in(page, focal_mex)
    open_workspace(page)
    row = dashboard_row(page, NUMBER)
    if form == "new":
        row.get_by_role(
            "link", name=f"File an update on recommendation {NUMBER}"
        ).click()
        page.get_by_role("radio", name="In progress").check()
        page.get_by_label(exactly("Public summary")).fill(SUMMARY)
    else:
        row.get_by_role(
            "link", name=f"Open the update on recommendation {NUMBER}"
        ).click()
        page.get_by_role("link", name="Edit", exact=True).click()

    # When they save and submit in one click
    page.get_by_role("button", name="Save and submit for review").click()

    # Then the update is submitted, and the message says so
    expect(fact(page, "Review state")).to_have_text("Submitted")
    expect(flash(page)).to_have_text(
        "Submitted to the Secretariat for review.", timeout=1_000
    )
