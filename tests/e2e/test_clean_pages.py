"""The main pages, public in four languages and signed in by role, pass axe-core
(WCAG 2.2 AA) and, like every page a browser test receives, the Nu Html Checker."""

import pytest

from tests import factories
from tests.e2e.checks import assert_clean

LANGUAGES = ["en", "es", "fr", "pt"]
PUBLIC_PATHS = [
    "/{lang}/",
    "/{lang}/status/",
    "/{lang}/status/map/",
    "/{lang}/states/MEX/",
    "/{lang}/states/MEX/recommendations/1/",
    "/{lang}/recommendations/",
    "/{lang}/recommendations/1/",
    "/{lang}/data/",
    "/{lang}/accounts/login/",
]


@pytest.fixture
def mexico_updates(focal_mex, reviewer) -> dict:
    """Mexico's updates in each review state, with the notifications they sent."""
    return {
        "accepted": factories.progress_update(
            "MEX", 1, author=focal_mex, reviewer=reviewer
        ),
        "returned": factories.progress_update(
            "MEX", 2, author=focal_mex, reviewer=reviewer, steps=("submit", "return")
        ),
        "submitted": factories.progress_update(
            "MEX", 3, author=focal_mex, steps=("submit",)
        ),
        "draft": factories.progress_update("MEX", 4, author=focal_mex, steps=()),
    }


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    assert_clean(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_public_pages_are_clean(page, mexico_updates, lang):
    for path in PUBLIC_PATHS:
        visit(page, path.format(lang=lang))


def test_a_focal_points_pages_are_clean(page, sign_in, focal_mex, mexico_updates):
    sign_in(page, focal_mex)
    draft, returned = mexico_updates["draft"], mexico_updates["returned"]
    for path in [
        "/en/workspace/",
        "/en/workspace/MEX/",
        "/en/workspace/MEX/recommendations/5/new/",
        f"/en/updates/{draft.pk}/",
        f"/en/updates/{draft.pk}/edit/",
        f"/en/updates/{returned.pk}/",
        f"/en/updates/{returned.pk}/edit/",
        "/en/accounts/notifications/",
    ]:
        visit(page, path)


def test_the_secretariats_pages_are_clean(
    page, sign_in, secretariat_admin, mexico_updates
):
    sign_in(page, secretariat_admin)
    submitted = mexico_updates["submitted"]
    for path in [
        "/en/workspace/",
        "/en/review/",
        f"/en/review/{submitted.pk}/",
        f"/en/updates/{submitted.pk}/",
        "/en/review/coverage/",
        "/en/accounts/notifications/",
        "/en/reports/",
        "/en/translations/",
        "/en/translations/fr/",
    ]:
        visit(page, path)
