"""Every time on a page is shown in the zone it names: the deadline in its cycle's,
the rest (history, notifications, reviews) in the portal's, labelled; every
``<time datetime>`` is one HTML accepts. The API keeps UTC."""

import re
from datetime import UTC, datetime

import pytest

from recommendations.models import Notification, UpdateEvent
from tests import factories

pytestmark = pytest.mark.django_db

# The real deadline: 23:59 in New York on March 31st, 03:59 on April 1st in UTC.
DEADLINE = datetime(2027, 4, 1, 3, 59, 0, 654321, tzinfo=UTC)
# An afternoon in Washington (EST, UTC-5), with the microseconds a database keeps.
MOMENT = datetime(2026, 1, 15, 17, 30, 12, 345678, tzinfo=UTC)
# A date, or a date and time with at most three digits of a second and an offset.
VALID_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?"
)


def time_values(html: str) -> list[str]:
    values = re.findall(r'<time[^>]*\sdatetime="([^"]*)"', html)
    assert values, "no <time> on the page"
    return values


def assert_valid_times(html: str) -> None:
    for value in time_values(html):
        assert VALID_DATETIME.fullmatch(value), value


@pytest.fixture
def deadline(cycle):
    cycle.deadline = DEADLINE
    cycle.time_zone = "America/New_York"
    cycle.save()
    return cycle


@pytest.fixture
def accepted(focal_mex, mexico, reviewer, deadline):
    update = factories.progress_update(mexico, 3, author=focal_mex, reviewer=reviewer)
    UpdateEvent.objects.filter(update=update).update(created_at=MOMENT)
    update.reviewed_at = MOMENT
    update.save(update_fields=["reviewed_at"])
    return update


@pytest.mark.parametrize(
    "path", ["/en/workspace/MEX/", "/en/workspace/MEX/recommendations/8/new/"]
)
def test_the_deadline_is_shown_in_its_zone_under_its_label(
    client, focal_mex, deadline, path
):
    client.force_login(focal_mex)
    html = client.get(path).content.decode()
    assert (
        '<time datetime="2027-03-31T23:59:00-04:00">March 31, 2027, 11:59 p.m.</time>'
        " (America/New_York)" in html
    )
    assert "April 1, 2027" not in html
    assert_valid_times(html)


def test_no_space_before_the_sentence_ends(client, focal_mex, deadline):
    client.force_login(focal_mex)
    html = client.get("/en/workspace/MEX/").content.decode()
    assert "</time> (America/New_York)." in html


def test_the_history_shows_the_portals_zone_labelled(client, focal_mex, accepted):
    client.force_login(focal_mex)
    html = client.get(accepted.get_absolute_url()).content.decode()
    shown = (
        '<time datetime="2026-01-15T12:30:12-05:00">Jan. 15, 2026, 12:30 p.m.</time>'
        " (America/New_York)"
    )
    assert html.count(shown) >= 2  # reviewed, and each step of the history
    assert "5:30 p.m." not in html
    assert_valid_times(html)


def test_notifications_show_the_portals_zone_labelled(client, focal_mex, accepted):
    Notification.objects.create(
        recipient=focal_mex,
        kind=Notification.Kind.ACCEPTED,
        subject="Accepted",
        body=".",
    )
    Notification.objects.update(created_at=MOMENT)
    client.force_login(focal_mex)
    html = client.get("/en/accounts/notifications/").content.decode()
    assert "Jan. 15, 2026, 12:30 p.m.</time> (America/New_York)" in html
    assert_valid_times(html)


def test_the_review_queue_dates_are_valid(client, reviewer, focal_mex, mexico):
    update = factories.progress_update(mexico, 4, author=focal_mex, steps=["submit"])
    type(update).objects.filter(pk=update.pk).update(submitted_at=MOMENT)
    client.force_login(reviewer)
    html = client.get("/en/review/").content.decode()
    assert '<time datetime="2026-01-15T12:30:12-05:00">' in html
    assert_valid_times(html)


def test_the_cycles_page_shows_each_deadline_in_its_zone(
    client, secretariat_admin, deadline
):
    client.force_login(secretariat_admin)
    html = client.get("/en/cycles/").content.decode()
    assert "March 31, 2027, 11:59 p.m.</time> (America/New_York)" in html
    assert " UTC" not in html


def test_the_api_keeps_utc(api, focal_mex, accepted):
    body = api(focal_mex).get(f"/api/v1/progress-updates/{accepted.pk}/").json()
    assert body["reviewed_at"].endswith("Z") and "T17:30:12" in body["reviewed_at"]
