"""The web login: lockout per username and address, the client's address behind the
proxy, the admin's login going through the portal's, and idle sessions ending."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts import sessions
from accounts.models import SecurityEvent
from core.clients import client_ip
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"
ATTACKER = "198.51.100.66"
COLLEAGUE = "198.51.100.77"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail_until_locked(client: Client, username: str = "maria") -> list[int]:
    return [sign_in(client, username, "guess").status_code for _ in range(5)]


# --- Lockout ----------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_at_that_address(focal_mex):
    attacker = Client(REMOTE_ADDR=ATTACKER)

    answers = fail_until_locked(attacker)
    right_password = sign_in(attacker, "maria", PASSWORD)

    assert answers == [200, 200, 200, 200, 429]
    assert right_password.status_code == 429
    html = right_password.content.decode()
    assert "<h1>Sign-in locked</h1>" in html
    assert "Try again in 15 minutes" in html
    assert right_password["Retry-After"] == str(15 * 60)
    assert "Sign out" not in html
    assert "_auth_user_id" not in attacker.session
    locked = SecurityEvent.objects.filter(kind="locked_out", username="maria")
    assert locked.exists() and locked.first().ip_address == ATTACKER


def test_the_same_user_elsewhere_and_others_at_that_address_still_sign_in(
    focal_mex, focal_bra
):
    fail_until_locked(Client(REMOTE_ADDR=ATTACKER))

    # Maria, from her own office.
    assert sign_in(Client(REMOTE_ADDR=COLLEAGUE), "maria", PASSWORD).status_code == 302
    # Bruno, behind the same address as the attacker (a shared ministry gateway).
    assert sign_in(Client(REMOTE_ADDR=ATTACKER), "bruno", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(focal_mex):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    fail_until_locked(attacker)

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert sign_in(attacker, "maria", PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_count(focal_mex):
    client = Client(REMOTE_ADDR=COLLEAGUE)
    for _ in range(4):
        sign_in(client, "maria", "typo")
    assert sign_in(client, "maria", PASSWORD).status_code == 302
    client.post("/en/accounts/logout/")

    answers = [sign_in(client, "maria", "typo").status_code for _ in range(4)]

    assert answers == [200] * 4  # counted from zero again


def test_the_limit_comes_from_the_settings(settings, focal_mex):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client(REMOTE_ADDR=ATTACKER)

    assert [sign_in(client, "maria", "x").status_code for _ in range(2)] == [200, 429]


def test_behind_the_proxy_a_forged_forwarded_address_does_not_escape(
    settings, focal_mex
):
    settings.TRUSTED_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    answers = []
    for attempt in range(6):
        # A new address each time on the left, as an attacker would send; the proxy
        # appends the address it saw, which is what counts.
        forwarded = f"192.0.2.{attempt}, {ATTACKER}"
        answers.append(
            sign_in(proxy, "maria", "guess", HTTP_X_FORWARDED_FOR=forwarded).status_code
        )

    assert answers == [200, 200, 200, 200, 429, 429]
    other = sign_in(proxy, "maria", PASSWORD, HTTP_X_FORWARDED_FOR=COLLEAGUE)
    assert other.status_code == 302


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "10.0.0.5"),
        (1, {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "1.2.3.4"),
        (
            1,
            {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"},
            "1.2.3.4",
        ),
        (
            2,
            {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"},
            "6.6.6.6",
        ),
        (1, {"REMOTE_ADDR": "10.0.0.5"}, "10.0.0.5"),
        (1, {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "junk"}, None),
        (0, {"REMOTE_ADDR": "2001:db8::1"}, "2001:db8::1"),
    ],
)
def test_the_client_address(settings, proxies, meta, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", **meta)

    assert client_ip(request) == expected


def test_the_admin_login_is_the_portal_s_login(client, secretariat_admin, focal_mex):
    response = client.get("/en/admin/login/?next=/en/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/?next=/en/admin/"
    # A focal point signed in gets a refusal, not a loop back to the login.
    client.force_login(focal_mex)
    assert client.get("/en/admin/login/?next=/en/admin/").status_code == 403


# --- Idle sessions ----------------------------------------------------------------


def idle_for(client: Client, minutes: int) -> None:
    session = client.session
    session[sessions.LAST_SEEN_KEY] = int(time.time()) - minutes * 60
    session.save()


def test_a_secretariat_session_ends_after_thirty_idle_minutes(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/en/review/").status_code == 200

    idle_for(client, 31)
    response = client.get("/en/review/", follow=True)

    assert response.redirect_chain[0] == ("/en/accounts/login/?next=/en/review/", 302)
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = SecurityEvent.objects.get(kind="session_expired")
    assert event.user == reviewer


def test_a_focal_point_session_lasts_longer_and_activity_slides_it(client, focal_mex):
    client.force_login(focal_mex)

    idle_for(client, 31)
    assert client.get("/en/workspace/MEX/").status_code == 200  # and noted now
    idle_for(client, 119)
    assert client.get("/en/workspace/MEX/").status_code == 200
    idle_for(client, 121)
    assert client.get("/en/workspace/MEX/").status_code == 302


def test_the_idle_limits_come_from_the_settings(settings, client, reviewer):
    settings.SESSION_IDLE_SECONDS_SECRETARIAT = 5 * 60
    client.force_login(reviewer)  # the limit is read at sign-in

    idle_for(client, 6)

    assert client.get("/en/review/").status_code == 302


def test_an_expired_session_on_the_api_is_answered_as_signed_out(client, reviewer):
    client.force_login(reviewer)
    idle_for(client, 31)

    response = client.post(
        "/api/v1/progress-updates/", {}, content_type="application/json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
