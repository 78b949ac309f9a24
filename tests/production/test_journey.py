"""In Chromium over verified TLS, the portal's whole loop as deployed: a focal point
files an update and submits it, the reviewer accepts it, the public reads it, and the
Secretariat compiles the hemispheric report on the real Celery worker, downloads the
PDF and publishes it for anyone to download."""

import re
import secrets
import subprocess
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from recommendations.services import REVIEW_CHECKLIST
from tests.e2e.checks import assert_clean
from tests.pdf import minimal_pdf
from tests.production.stack import DEMO_PASSWORD

NUMBER = 5  # a recommendation on which the demo's Mexico has filed nothing
REPORT_MS = 240_000  # the whole hemispheric report, on two busy cores


def exactly(text: str) -> re.Pattern:
    """A label's text exactly, with or without the colon Django's forms add."""
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")


def flash(page: Page) -> Locator:
    return page.get_by_role("status")


def fact(page: Page, term: str) -> Locator:
    return page.locator("dl.facts dt", has_text=exactly(term)).locator(
        "xpath=following-sibling::dd[1]"
    )


def region(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True)


def nav_link(page: Page, name: str) -> Locator:
    main = page.get_by_role("navigation", name="Main")
    return main.get_by_role("link", name=name, exact=True)


def sign_in(page: Page, username: str) -> None:
    page.goto("/en/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=f"Sign out ({username})")).to_be_visible()


def pdf_pages(path: Path) -> int:
    info = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))


def test_an_update_goes_from_a_focal_point_to_the_published_report(
    stack, open_page, page_problems, tmp_path
):
    mark = secrets.token_hex(3)
    summary = f"Mexico's labour inspectors now screen every workplace ({mark})."
    evidence = tmp_path / "inspection-protocol.pdf"
    evidence.write_bytes(minimal_pdf("Inspection protocol"))

    # Given the focal point of Mexico, signed in over HTTPS
    focal = open_page()
    response = focal.goto("/en/")
    assert response.ok and response.url.startswith(stack.origin)
    assert response.security_details()["issuer"].startswith("Caddy Local Authority")
    sign_in(focal, "focal-mex")
    cookies = {cookie["name"]: cookie for cookie in focal.context.cookies()}
    assert cookies["__Host-sessionid"]["secure"]
    assert "sessionid" not in cookies

    # When they file an update with evidence and submit it
    nav_link(focal, "Workspace").click()
    row = focal.get_by_role("row").filter(
        has=focal.get_by_role("link", name=f"Recommendation {NUMBER}", exact=True)
    )
    row.get_by_role("link", name=f"File an update on recommendation {NUMBER}").click()
    focal.get_by_role("radio", name="In progress").check()
    focal.get_by_label(exactly("Public summary")).fill(summary)
    focal.get_by_label(exactly("Narrative")).fill("The **inspectorate** trained 300.")
    focal.get_by_role("radio", name="Public", exact=True).check()
    focal.get_by_role("button", name="Save draft").click()
    expect(flash(focal)).to_have_text("Draft saved.")
    focal.get_by_label(exactly("Evidence file")).set_input_files(evidence)
    focal.get_by_role("button", name="Attach the file").click()
    expect(flash(focal)).to_have_text(f"“{evidence.name}” attached.")
    focal.get_by_role("button", name="Submit for review").click()

    # Then it waits for review
    expect(flash(focal)).to_have_text("Submitted to the Secretariat for review.")
    expect(fact(focal, "Review state")).to_have_text("Submitted")

    # When the reviewer opens it from the queue and accepts it, with the checklist
    reviewer = open_page()
    sign_in(reviewer, "reviewer")
    nav_link(reviewer, "Review").click()
    queued = (
        reviewer.get_by_role("table")
        .get_by_role("row")
        .filter(has=reviewer.get_by_role("cell", name=re.compile(rf"^{NUMBER}\. ")))
        .filter(has=reviewer.get_by_role("link", name="Mexico", exact=True))
    )
    queued.get_by_role("link", name="Mexico", exact=True).click()
    expect(region(reviewer, "Public summary")).to_contain_text(summary)
    expect(
        region(reviewer, "Evidence").get_by_role("link", name=evidence.name)
    ).to_be_visible()
    review = region(reviewer, "Review")
    for label in REVIEW_CHECKLIST.values():
        review.get_by_label(exactly(str(label))).check()
    review.get_by_role("radio", name="Accept and publish").check()
    review.get_by_role("button", name="Record the decision").click()
    expect(flash(reviewer)).to_have_text(
        "Accepted: the update is now the state's status."
    )

    # Then an anonymous visitor reads it on the public pages
    visitor = open_page()
    visitor.goto(f"/en/states/MEX/recommendations/{NUMBER}/")
    expect(visitor.get_by_text(summary)).to_be_visible()
    expect(nav_link(visitor, "Sign in")).to_be_visible()
    expect(visitor.get_by_role("button", name=re.compile("^Sign out"))).to_have_count(0)
    # The feed was read before: its cached copy stays until the worker has rendered
    # the most read pages under the new version (core.page_cache), then it is new.
    assert summary in fresh_feed(stack, summary)

    # When the Secretariat compiles the hemispheric report from the reports page
    secretariat = open_page()
    sign_in(secretariat, "secretariat")
    nav_link(secretariat, "Reports").click()
    expect(secretariat.get_by_role("heading", level=1)).to_have_text("Progress reports")
    secretariat.get_by_role("button", name="Generate the report").click()
    expect(secretariat.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Hemispheric report, .* \(English\)$")
    )

    # Then the page follows the real worker until the report is ready
    download = secretariat.get_by_role("link", name=re.compile(r"^Download the PDF"))
    expect(download).to_be_visible(timeout=REPORT_MS)
    ready = secretariat.get_by_role("status").filter(has_text="The report is ready")
    expect(ready).to_have_text(re.compile(r"^The report is ready: \d+ pages\.$"))
    pages = int(re.search(r"(\d+) pages", ready.inner_text()).group(1))

    # And the PDF it downloads is the report, with those pages
    with secretariat.expect_download() as info:
        download.click()
    report = tmp_path / "report.pdf"
    info.value.save_as(report)
    assert report.read_bytes().startswith(b"%PDF-")
    assert pdf_pages(report) == pages > 1
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(report), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Hemispheric progress report" in " ".join(text.split())

    # And every page of that draft says so
    draft_pages = text.split("\f")[:-1]
    assert all(re.search(r"^DRAFT$", page, re.MULTILINE) for page in draft_pages)

    # When the Secretariat writes the introduction and conclusions, then publishes,
    # confirming
    draft_url = secretariat.url
    secretariat.goto("/en/reports/texts/eighth-meeting/en/")
    secretariat.get_by_label(re.compile(r"^Introduction")).fill("This report covers...")
    secretariat.get_by_label(re.compile(r"^Conclusions")).fill("States moved.")
    secretariat.get_by_role("button", name="Save the texts").click()
    secretariat.goto(draft_url)
    secretariat.get_by_role("link", name="Publish the report…").click()
    assert_clean(secretariat)  # the confirmation, behind the proxy as deployed
    secretariat.get_by_role("button", name="Confirm: publish the report").click()

    # Then the worker compiles the final edition, which is published once ready
    expect(
        flash(secretariat).filter(has_text="The final edition is being compiled")
    ).to_be_visible()
    final_download = secretariat.get_by_role(
        "link", name=re.compile(r"^Download the PDF")
    )
    expect(final_download).to_be_visible(timeout=REPORT_MS)
    with secretariat.expect_download() as info:
        final_download.click()
    final = tmp_path / "final.pdf"
    info.value.save_as(final)
    final_text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(final), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "This report covers..." in final_text
    assert not re.search(r"^DRAFT$", final_text, re.MULTILINE)

    # And an anonymous visitor downloads that very final edition
    link = visitor.get_by_role("main").get_by_role(
        "link", name=re.compile(r"^Hemispheric report")
    )
    for _ in range(30):  # published by the worker as it stores the final edition
        visitor.goto("/en/reports/published/")
        if link.count():
            break
        visitor.wait_for_timeout(1000)
    with visitor.expect_download() as info:
        link.click()
    published = tmp_path / "published.pdf"
    info.value.save_as(published)
    assert published.read_bytes() == final.read_bytes()

    # And no page logged an error, broke the CSP or failed to load anything (a
    # download ends its navigation with ERR_ABORTED, and so does the icon of a page
    # left before the browser fetched it: neither is a failure)
    assert page_problems.blocking() == []
    assert [
        failure
        for failure in page_problems.failed_requests
        if not re.search(
            r"(/download/|/static/img/favicon\.[0-9a-f]+\.svg): net::ERR_ABORTED$",
            failure,
        )
    ] == []


def fresh_feed(stack, summary: str, seconds: float = 180) -> str:
    """The feed once it holds the summary, or as it stands after ``seconds``: readers
    keep the previous copy, never an error, while a publication is being warmed."""
    deadline = time.monotonic() + seconds
    while True:
        response = stack.client().get(stack.url("/en/feed/"), timeout=30)
        assert response.status_code == 200
        if summary in response.text or time.monotonic() > deadline:
            return response.text
        time.sleep(1)
