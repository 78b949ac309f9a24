"""The public charts and the map in Chromium: compact legends at desktop width, the
map's key readable on a phone, its files and embed offered, and axe's landmark and
name rules on the pages issue 16 found wanting."""

from axe_playwright_python.sync_playwright import Axe

from accounts.models import Role
from tests import factories
from tests.e2e.checks import assert_clean

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# The size of a chart's legend as drawn: its box, and its text in CSS pixels.
LEGEND_SIZE = """() => [...document.querySelectorAll('.status-chart .chart-legend')]
  .map(legend => {
    const text = legend.querySelector('text');
    return {
      height: legend.getBoundingClientRect().height,
      font: text.getScreenCTM().a * parseFloat(getComputedStyle(text).fontSize),
    };
  })"""
BODY_FONT = "() => parseFloat(getComputedStyle(document.body).fontSize)"


def rule_violations(page, *rules):
    """Axe's named rules alone: these two are outside the WCAG tag set."""
    results = Axe().run(
        page, options={"runOnly": {"type": "rule", "values": list(rules)}}
    )
    return results.response["violations"]


def published(cycle, focal_mex, reviewer, mexico):
    factories.progress_update(
        mexico, 4, author=focal_mex, reviewer=reviewer, cycle=cycle
    )


def test_chart_legends_are_compact_at_desktop_width(
    page, cycle, focal_mex, reviewer, mexico
):
    published(cycle, focal_mex, reviewer, mexico)
    page.set_viewport_size(DESKTOP)

    for path in ["/en/recommendations/4/", "/en/states/MEX/"]:
        page.goto(path)
        (legend,) = page.evaluate(LEGEND_SIZE)
        assert legend["height"] < 120, path
        assert legend["font"] <= page.evaluate(BODY_FONT), path
        assert page.get_by_role("link", name="SVG").is_visible()
        assert_clean(page)


def test_the_map_key_is_readable_on_a_phone_and_its_names_match(
    page, cycle, focal_mex, reviewer, mexico
):
    published(cycle, focal_mex, reviewer, mexico)
    page.set_viewport_size(PHONE)

    page.goto("/en/status/map/")

    key = page.locator(".map-key")
    box = key.bounding_box()
    assert box["height"] > 60 and box["width"] > 300
    font = key.evaluate("key => parseFloat(getComputedStyle(key).fontSize)")
    assert font >= 14
    assert key.get_by_text("No information").is_visible()
    assert rule_violations(page, "label-content-name-mismatch") == []
    page.get_by_text("Embed this map in another site").click()
    snippet = page.get_by_label("Copy this code into your page:").input_value()
    assert snippet.startswith('<iframe src="http')
    assert "/en/embed/map/" in snippet
    assert_clean(page)


def test_the_embed_stands_alone(page, cycle, focal_mex, reviewer, mexico):
    published(cycle, focal_mex, reviewer, mexico)

    page.goto("/en/embed/map/")

    assert page.locator(".site-nav").count() == 0
    assert page.get_by_role("link", name="See the full map and its table").is_visible()
    assert_clean(page)
    page.goto("/en/embed/recommendations/4/")
    assert_clean(page)


def test_landmarks_are_unique_on_the_status_and_coverage_pages(
    page, sign_in, cycle, focal_mex, reviewer, mexico
):
    published(cycle, focal_mex, reviewer, mexico)

    page.goto("/en/status/")
    assert rule_violations(page, "landmark-unique") == []
    sign_in(page, factories.secretariat(Role.ADMIN, username="alba"))
    page.goto("/en/review/coverage/")
    assert rule_violations(page, "landmark-unique") == []
