"""WCAG 2.2 AA on every kind of page, in every language, as axe-core checks it; and
the page works at 320 px wide and from the keyboard."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from accounts.models import User
from recommendations.demo import seed_demo_users
from recommendations.demo_updates import seed_demo_updates
from recommendations.models import ProgressUpdate, ReportingCycle

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGUAGES = ["en", "es", "fr", "pt"]
PUBLIC_PATHS = [
    "/{lang}/",
    "/{lang}/status/",
    "/{lang}/status/map/",
    "/{lang}/states/",
    "/{lang}/states/MEX/",
    "/{lang}/states/MEX/recommendations/1/",
    "/{lang}/themes/corruption/",
    "/{lang}/recommendations/",
    "/{lang}/recommendations/14/",
    "/{lang}/data/",
    "/{lang}/accounts/login/",
]


@pytest.fixture
def demo(settings):
    """The demo data: every review state, many states, real pages to check."""
    seed_demo_users(password="a-long-test-password-42")
    seed_demo_updates(ReportingCycle.objects.get(is_open=True))
    return {user.username: user for user in User.objects.all()}


def check(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": TAGS},
            "resultTypes": ["violations"],
        },
    )
    assert results.violations_count == 0, f"{path}\n{results.generate_report()}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_pages_have_no_violations(page, demo, lang):
    for path in PUBLIC_PATHS:
        check(page, path.format(lang=lang))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_focal_point_pages_have_no_violations(page, sign_in, demo, lang):
    sign_in(page, demo["focal-mex"], password="a-long-test-password-42")
    mexico = ProgressUpdate.objects.filter(member_state__iso3="MEX")
    draft = mexico.get(review_state="draft")
    returned = mexico.get(review_state="returned")
    for path in [
        f"/{lang}/workspace/MEX/",
        f"/{lang}/workspace/MEX/recommendations/2/new/",
        f"/{lang}/updates/{draft.pk}/",
        f"/{lang}/updates/{draft.pk}/edit/",
        f"/{lang}/updates/{returned.pk}/",
    ]:
        check(page, path)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_secretariat_pages_have_no_violations(page, sign_in, demo, lang):
    sign_in(page, demo["secretariat"], password="a-long-test-password-42")
    submitted = ProgressUpdate.objects.filter(review_state="submitted").first()
    for path in [
        f"/{lang}/workspace/",
        f"/{lang}/review/",
        f"/{lang}/review/coverage/",
        f"/{lang}/updates/{submitted.pk}/",
        f"/{lang}/cycles/",
        f"/{lang}/cycles/eighth-meeting/",
        f"/{lang}/accounts/users/",
        f"/{lang}/accounts/users/invite/",
        f"/{lang}/translations/",
        f"/{lang}/translations/fr/",
        f"/{lang}/translations/fr/recommendation.1.text/",
    ]:
        check(page, path)


@pytest.mark.parametrize(
    "path", ["/en/status/", "/en/states/MEX/", "/en/recommendations/1/"]
)
def test_pages_fit_a_phone_320_px_wide(page, demo, path):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"


def test_the_map_works_from_the_keyboard(page, demo):
    page.goto("/en/status/map/")
    for _ in range(60):
        page.keyboard.press("Tab")
        inside = page.evaluate("!!document.activeElement.closest('svg.map')")
        if inside:
            break
    assert inside, "Tab never reached a state on the map"
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/en/states/*/")
    assert label.split(":")[0] in page.locator("h1").inner_text()
