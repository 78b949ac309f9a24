"""The public finds a state by searching, reads its statuses across cycles, and
filters the matrix by theme and status, then downloads the filtered view: all
without an account, axe-clean, without JavaScript needed."""

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.e2e.checks import assert_clean
from tests.reporting.test_status_history import closed_cycle, stored


def test_search_a_state_then_read_its_history(page, cycle, mexico, focal_mex, reviewer):
    older = closed_cycle(cycle, slug="seventh-meeting", years=2)
    stored(older, mexico, 1, "planned", author=focal_mex, reviewer=reviewer)
    factories.progress_update(
        mexico, 1, author=focal_mex, reviewer=reviewer, status="largely_implemented"
    )

    page.goto("/en/status/")
    page.get_by_label("Search recommendations, states and published summaries").fill(
        "mexico"
    )
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="Member states")).to_be_visible()
    assert_clean(page)

    page.get_by_role("link", name="Mexico", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mexico")
    history = page.get_by_role(
        "table", name="Mexico: status on each recommendation, by reporting cycle"
    )
    expect(history).to_be_visible()
    first_row = history.locator("tbody tr").first
    expect(first_row.locator("td").nth(0)).to_have_text("Planned")
    expect(first_row.locator("td").nth(1)).to_have_text("Largely implemented")
    assert_clean(page)


def test_filter_the_matrix_by_theme_and_status_then_export(
    page, cycle, mexico, brazil, focal_mex, focal_bra, reviewer, tmp_path
):
    factories.progress_update(
        mexico, 12, author=focal_mex, reviewer=reviewer, status="in_progress"
    )
    factories.progress_update(
        brazil, 12, author=focal_bra, reviewer=reviewer, status="fully_implemented"
    )

    page.goto("/en/status/")
    form = page.get_by_role("form", name="Filter the matrix")
    form.get_by_label("Theme").select_option("corruption")
    form.get_by_label("Status").select_option("fully_implemented")
    form.get_by_role("button", name="Filter").click()

    matrix = page.locator("table.matrix")
    expect(matrix.locator("tbody tr")).to_have_count(1)
    expect(matrix.locator("tbody th")).to_have_text("Brazil")
    expect(form.get_by_label("Theme")).to_have_value("corruption")
    assert_clean(page)

    with page.expect_download() as download:
        page.locator("#matrix-heading ~ .downloads").get_by_role(
            "link", name="CSV"
        ).click()
    path = tmp_path / "status.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text("utf-8-sig"))))
    assert [(r["member_state"], r["recommendation"], r["status"]) for r in rows] == [
        ("BRA", "12", "fully_implemented")
    ]
