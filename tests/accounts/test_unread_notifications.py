"""The unread notifications count in the navigation: a person's own notifications
since they last opened their notifications page, counted in one query, never on a
page the public is served from the cache."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from recommendations.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

PUBLIC_PAGE = "/en/status/"  # cached whole for the public (core.publication)
UNREAD = re.compile(r"Notifications <span class=\"badge nav-count\">.*?</span></a>")


def notify(user, subject: str = "Deadline in 14 days") -> Notification:
    return Notification.objects.create(
        recipient=user,
        kind=Notification.Kind.REMINDER,
        subject=subject,
        body="Mexico has not reported on 3 recommendations.",
    )


def nav_count(html: str) -> str | None:
    """The count as a screen reader reads the link: "Notifications 3 unread"."""
    found = UNREAD.search(html)
    if found is None:
        return None
    return re.sub(r"<[^>]+>", "", found.group(0))


@pytest.fixture
def person(db):
    return factories.UserFactory()


def page_for(client, user, url: str = "/en/start/") -> str:
    client.force_login(user)
    return client.get(url).content.decode()


def test_the_navigation_counts_unread_notifications(client, person):
    for _ in range(3):
        notify(person)

    assert nav_count(page_for(client, person)) == "Notifications 3 unread"


def test_one_unread_notification(client, person):
    notify(person)

    assert nav_count(page_for(client, person)) == "Notifications 1 unread"


def test_no_count_without_unread_notifications(client, person):
    html = page_for(client, person)

    assert nav_count(html) is None
    assert '<a href="/en/accounts/notifications/">Notifications</a>' in html


def test_opening_the_notifications_marks_them_read(client, person):
    notify(person, "Earlier")
    notify(person, "Later")

    page = page_for(client, person, "/en/accounts/notifications/")

    # The page tells which were new, and the navigation has nothing left to count
    assert page.count('<span class="badge">New</span>') == 2
    assert nav_count(page) is None
    assert nav_count(page_for(client, person)) is None
    again = page_for(client, person, "/en/accounts/notifications/")
    assert '<span class="badge">New</span>' not in again
    # A later one is unread again
    notify(person, "Newest")
    assert nav_count(page_for(client, person)) == "Notifications 1 unread"


def test_only_the_persons_own_notifications_count(client, person, focal_mex):
    notify(focal_mex)

    assert nav_count(page_for(client, person)) is None


def test_the_count_costs_one_query(client, person):
    for _ in range(5):
        notify(person)
    client.force_login(person)
    client.get("/en/start/")

    with CaptureQueriesContext(connection) as queries:
        client.get("/en/start/")

    counts = [q["sql"] for q in queries if "portal_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(*)" in counts[0]


def test_the_public_gets_no_count_and_no_query(client):
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/en/").content.decode()

    assert nav_count(html) is None
    assert "unread" not in html
    assert not [q for q in queries if "portal_notification" in q["sql"]]


def test_a_cached_public_page_never_carries_a_count(person):
    notify(person)
    signed_in = Client()
    signed_in.force_login(person)
    anonymous = Client()

    # Given the page rendered for a signed-in person first, then for the public
    mine = signed_in.get(PUBLIC_PAGE)
    first = anonymous.get(PUBLIC_PAGE)
    second = anonymous.get(PUBLIC_PAGE)  # from the cache

    # Then only the person's copy has the count, and it is never stored for others
    assert nav_count(mine.content.decode()) == "Notifications 1 unread"
    assert "private" in mine["Cache-Control"]
    for response in (first, second):
        assert "unread" not in response.content.decode()
        assert "public" in response["Cache-Control"]
    # And the signed-in person never gets the public copy
    again = signed_in.get(PUBLIC_PAGE)
    assert nav_count(again.content.decode()) == "Notifications 1 unread"
