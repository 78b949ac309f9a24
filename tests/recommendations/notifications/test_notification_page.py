"""The page where a person reads the notifications sent to them, and only those."""

import pytest

from recommendations import notifications
from tests.factories import STEP_14

pytestmark = pytest.mark.django_db

URL = "/en/accounts/notifications/"


@pytest.fixture
def reminded(django_capture_on_commit_callbacks, cycle, focal_mex, focal_bra, reviewer):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.reminders_send(now=STEP_14)


def test_the_public_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/en/accounts/login/?next={URL}"


def test_a_person_sees_only_their_own_notifications(client, reminded, focal_mex):
    client.force_login(focal_mex)
    html = client.get(URL).content.decode()
    assert "<h1>Your notifications</h1>" in html
    assert "14 days left: Mexico has recommendations to report on" in html
    assert "emailed to maria@example.org" in html
    # Brazil's reminder and the Secretariat's digest are someone else's.
    assert "Brazil" not in html
    assert "states have not reported" not in html


def test_the_secretariat_sees_its_digest(client, reminded, reviewer):
    client.force_login(reviewer)
    html = client.get(URL).content.decode()
    assert "states have not reported" in html
    assert "Mexico has recommendations" not in html


def test_someone_with_none_is_told_so(client, secretariat_admin):
    client.force_login(secretariat_admin)
    assert "No notification yet." in client.get(URL).content.decode()


def test_signed_in_people_have_the_link_in_the_navigation(client, focal_mex):
    assert URL not in client.get("/en/recommendations/").content.decode()
    client.force_login(focal_mex)
    assert f'href="{URL}"' in client.get("/en/recommendations/").content.decode()
