"""A focal point starts a draft half-filled, with evidence and measure rows added in
the page; submission lists what is missing; another draft is deleted through its
confirmation. On a phone, the workspace table's actions stay in view."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from recommendations.models import ProgressUpdate, ReviewState
from tests import factories
from tests.e2e.checks import assert_clean

SUMMARY = "Labour inspectors in three states were trained this year."


@pytest.fixture
def open_cycle(cycle):
    if cycle.deadline < timezone.now() + timedelta(days=2):
        cycle.deadline = timezone.now() + timedelta(days=30)
        cycle.save(update_fields=["deadline"])
    return cycle


def fill_measure(page: Page, number: int, kind: str, title: str) -> None:
    row = page.get_by_role("group", name=f"Measure {number}", exact=True)
    row.get_by_label("Type").select_option(kind)
    row.get_by_label("Title").fill(title)


def test_a_half_filled_draft_with_evidence_and_rows_added_in_the_page(
    page, sign_in, focal_mex, open_cycle, sample_pdf, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    other = factories.progress_update(
        "MEX", 5, author=focal_mex, steps=[], summary="A draft to throw away."
    )
    sign_in(page, focal_mex)

    # Given the workspace, the focal point starts an update on recommendation 8
    page.goto("/en/workspace/MEX/")
    page.get_by_role("link", name="File an update on recommendation 8").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("New update")
    assert_clean(page)

    # When only the summary is written, a file chosen and two rows added in the page
    page.get_by_label("Public summary").fill(SUMMARY)
    page.get_by_label("Attach an evidence file").set_input_files(str(sample_pdf))
    add = page.get_by_role("button", name="Add another measure")
    add.click()
    expect(page.get_by_role("group", name="Measure 3", exact=True)).to_be_visible()
    expect(
        page.get_by_role("group", name="Measure 3").get_by_label("Type")
    ).to_be_focused()
    add.click()
    expect(page.locator("#id_measures-TOTAL_FORMS")).to_have_value("4")
    assert_clean(page)
    fill_measure(page, 3, "policy", "National action plan 2026-2030")
    fill_measure(page, 4, "awareness", "Radio campaign in Indigenous languages")
    page.get_by_role("button", name="Save draft").click()

    # Then the draft is saved with all of it, and no status
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_text("“national-action-plan.pdf” attached.")).to_be_visible()
    expect(page.get_by_text("Status not chosen yet")).to_be_visible()
    expect(page.get_by_text("Radio campaign in Indigenous languages")).to_be_visible()
    draft = ProgressUpdate.objects.get(recommendation__number=8)
    assert (draft.status, draft.summary) == ("", SUMMARY)
    assert list(draft.measures.values_list("title", flat=True)) == [
        "National action plan 2026-2030",
        "Radio campaign in Indigenous languages",
    ]
    assert draft.evidence.get().original_name == "national-action-plan.pdf"
    assert_clean(page)

    # When it is submitted, the refusal says what is missing
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Choose a status before submitting.")).to_be_visible()
    draft.refresh_from_db()
    assert draft.review_state == ReviewState.DRAFT
    assert_clean(page)

    # And the edit form lists it too
    page.get_by_role("link", name="Edit", exact=True).click()
    missing = page.get_by_role("region", name="Before you can submit")
    expect(missing).to_contain_text("Choose a status before submitting.")
    assert_clean(page)

    # When the other draft is deleted, a confirmation page asks first
    page.goto(f"/en/updates/{other.pk}/")
    page.get_by_role("link", name="Delete this draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this draft?")
    assert ProgressUpdate.objects.filter(pk=other.pk).exists()
    assert_clean(page)
    page.get_by_role("button", name="Delete the draft").click()
    expect(page.get_by_text("Draft deleted.")).to_be_visible()
    assert not ProgressUpdate.objects.filter(pk=other.pk).exists()
    assert ProgressUpdate.objects.filter(pk=draft.pk).exists()


def test_the_workspace_table_s_actions_are_in_view_on_a_phone(
    open_page, sign_in, focal_mex, open_cycle
):
    factories.progress_update("MEX", 2, author=focal_mex, steps=[])
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, focal_mex)

    page.goto("/en/workspace/MEX/")

    for name in (
        "File an update on recommendation 1",
        "Open the update on recommendation 2",
    ):
        link = page.get_by_role("link", name=name, exact=True)
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (
            name,
            box,
        )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_clean(page)
