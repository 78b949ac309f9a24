"""The Secretariat follows up from the coverage page in the browser: chooses two
states, reminds their focal points, sees when they were last reminded, and is refused
a second reminder the same day for a state already reminded."""

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import Role
from recommendations.models import FollowUpReminder
from tests import factories
from tests.e2e.checks import assert_clean


@pytest.fixture
def cast(cycle):
    return {
        "admin": factories.secretariat(
            Role.ADMIN, username="alba", first_name="Alba", last_name="Ruiz"
        ),
        "mexico": factories.focal_point(
            "MEX", username="maria", first_name="María", last_name="López"
        ),
        "argentina": factories.focal_point(
            "ARG", username="ana", first_name="Ana", last_name="Gómez"
        ),
        "brazil": factories.focal_point(
            "BRA", username="bruno", first_name="Bruno", last_name="Souza"
        ),
    }


def state_row(page: Page, name: str):
    return page.get_by_role("row").filter(
        has=page.get_by_role("checkbox", name=name, exact=True)
    )


def test_the_secretariat_reminds_two_states_and_is_refused_a_second_time_that_day(
    page, sign_in, cast
):
    sign_in(page, cast["admin"])

    # When the Secretariat opens coverage
    page.goto("/en/review/coverage/")
    follow_up = page.get_by_role("region", name="Follow up", exact=True)
    mexico = state_row(page, "Mexico")
    expect(mexico.get_by_role("link", name="maria@example.org")).to_have_attribute(
        "href", "mailto:maria@example.org"
    )
    expect(mexico).to_contain_text("Not reminded from here")
    expect(follow_up.get_by_role("link", name="CSV")).to_be_visible()
    assert_clean(page)

    # And chooses Mexico and Argentina, and sends a reminder
    follow_up.get_by_role("checkbox", name="Mexico", exact=True).check()
    follow_up.get_by_role("checkbox", name="Argentina", exact=True).check()
    follow_up.get_by_role("button", name="Remind the chosen states now").click()

    # Then it is told so, and each row says when and by whom
    expect(page.get_by_role("status")).to_have_text(
        "Reminder sent to the focal points of Argentina, Mexico."
    )
    for name in ("Mexico", "Argentina"):
        expect(state_row(page, name)).to_contain_text("Last reminded")
        expect(state_row(page, name)).to_contain_text("by Alba Ruiz")
    expect(state_row(page, "Brazil")).to_contain_text("Not reminded from here")
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ana@example.org",
        "maria@example.org",
    ]
    assert_clean(page)

    # When it tries Mexico again the same day, with Brazil
    state_row(page, "Mexico").get_by_role("checkbox").check()
    state_row(page, "Brazil").get_by_role("checkbox").check()
    page.get_by_role("button", name="Remind the chosen states now").click()

    # Then Mexico is refused, and Brazil reminded
    status = page.get_by_role("status")
    expect(status).to_contain_text("Reminder sent to the focal points of Brazil.")
    expect(status).to_contain_text(
        "Not sent to Mexico: reminded today already. A state is reminded once a day "
        "at most; try again tomorrow."
    )
    expect(state_row(page, "Brazil")).to_contain_text("Last reminded")
    assert [message.to[0] for message in mail.outbox].count("maria@example.org") == 1
    assert FollowUpReminder.objects.filter(member_state__iso3="MEX").count() == 1
    assert_clean(page)
