"""What an attacker tried and the portal now refuses: a signed-in page cached for
the public under production's cookie names, sessions outliving their limit,
password spraying and floods of reset emails and report runs, links built from the
Host header, reset answers that time an address, private answers left cacheable, and
throttles fooled by a forged X-Forwarded-For."""

from __future__ import annotations

import time
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.test import Client

from accounts import sessions, tasks
from core import limits
from recommendations import services
from recommendations.models import Recommendation
from reporting.models import ReportRun
from tests.factories import PASSWORD, content

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"
RESET = "/en/accounts/password/reset/"
ATTACKER = "198.51.100.66"
COLLEAGUE = "198.51.100.77"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


# --- 1. The public-page cache under production's cookie names ---------------------


@pytest.mark.parametrize("path", ["/en/states/", "/en/status/", "/en/"])
def test_a_signed_in_page_never_reaches_an_anonymous_visitor_with_host_cookies(
    settings, reviewer, path
):
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    signed_in = Client()
    signed_in.force_login(reviewer)
    assert "Sign out (rita)" in signed_in.get(path).content.decode()

    anonymous = Client().get(path)

    html = anonymous.content.decode()
    assert anonymous.status_code == 200
    assert "Sign out" not in html and "rita" not in html


def test_a_signed_in_visit_is_marked_private_under_host_cookies(settings, reviewer):
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    signed_in = Client()
    signed_in.force_login(reviewer)

    response = signed_in.get("/en/states/")

    assert "public" not in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


# --- 5. Sessions end SESSION_MAX_HOURS after sign-in, used or not ------------------


def started_hours_ago(client: Client, hours: float) -> None:
    session = client.session
    session[sessions.STARTED_KEY] = int(time.time() - hours * 3600)
    session[sessions.LAST_SEEN_KEY] = int(time.time())  # in use all along
    session.save()


def test_a_session_in_constant_use_still_ends_after_its_lifetime(client, focal_mex):
    client.force_login(focal_mex)
    started_hours_ago(client, 11.9)
    assert client.get("/en/workspace/MEX/").status_code == 200

    started_hours_ago(client, 12.1)
    response = client.get("/en/workspace/MEX/", follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN)
    assert "Sessions last at most 12 hours" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_session_cookie_keeps_the_expiry_of_the_sign_in(client, focal_mex):
    sign_in(client, "maria", PASSWORD)
    expires_at_sign_in = client.session.get_expiry_date()

    time.sleep(1.1)
    session = client.session
    session["something"] = "changed"  # a change re-issues the cookie
    session.save()
    client.get("/en/workspace/MEX/")

    assert client.session.get_expiry_date() == expires_at_sign_in
    cookie = client.cookies["sessionid"]
    assert cookie["max-age"] <= 12 * 3600 - 1  # counted down, not started again


def test_the_lifetime_comes_from_the_settings(settings, client, focal_mex):
    settings.SESSION_COOKIE_AGE = 3600
    client.force_login(focal_mex)
    started_hours_ago(client, 1.1)

    assert client.get("/en/workspace/MEX/").status_code == 302


def test_a_session_from_before_the_rule_ends(client, focal_mex):
    client.force_login(focal_mex)
    session = client.session
    del session[sessions.STARTED_KEY]
    session.save()

    assert client.get("/en/workspace/MEX/").status_code == 302


# --- 6. Anti-automation -----------------------------------------------------------


def test_password_spraying_from_one_address_is_stopped(settings, focal_mex):
    settings.PORTAL_LIMITS = {**settings.PORTAL_LIMITS, "signin-address": "10/hour"}
    attacker = Client(REMOTE_ADDR=ATTACKER)

    answers = [sign_in(attacker, f"user{n}", "guess").status_code for n in range(10)]
    right = sign_in(attacker, "maria", PASSWORD)

    assert answers == [200] * 10
    assert right.status_code == 429
    assert "Too many failed sign-ins from your address" in right.content.decode()
    assert int(right["Retry-After"]) > 0
    assert "_auth_user_id" not in attacker.session
    # Another address is not affected.
    elsewhere = Client(REMOTE_ADDR=COLLEAGUE)
    assert sign_in(elsewhere, "maria", PASSWORD).status_code == 302


def test_the_address_limit_applies_to_the_api_token_endpoint(settings, focal_mex):
    settings.PORTAL_LIMITS = {**settings.PORTAL_LIMITS, "signin-address": "2/hour"}
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for name in ("a", "b"):
        sign_in(attacker, name, "guess")

    response = attacker.post(
        "/api/v1/auth/token/",
        {"username": "maria", "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "address_limited"


def test_the_address_limit_can_be_turned_off(settings, focal_mex):
    settings.PORTAL_LIMITS = {**settings.PORTAL_LIMITS, "signin-address": None}
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(12):
        sign_in(attacker, f"user{n}", "guess")

    assert sign_in(attacker, "maria", PASSWORD).status_code == 302


def test_password_resets_are_limited_per_address(settings, focal_mex):
    settings.PORTAL_LIMITS = {
        **settings.PORTAL_LIMITS,
        "password-reset-address": "3/hour",
        "password-reset-account": None,
    }
    attacker = Client(REMOTE_ADDR=ATTACKER)

    answers = [
        attacker.post(RESET, {"email": f"someone{n}@example.org"}).status_code
        for n in range(3)
    ]
    refused = attacker.post(RESET, {"email": focal_mex.email})

    assert answers == [302, 302, 302]
    assert refused.status_code == 429
    assert "Too many password resets" in refused.content.decode()
    assert mail.outbox == []  # none of the three had an account; maria's refused


def test_password_resets_are_limited_per_account_whatever_the_address(
    settings, focal_mex
):
    settings.PORTAL_LIMITS = {
        **settings.PORTAL_LIMITS,
        "password-reset-address": None,
        "password-reset-account": "2/hour",
    }
    answers = [
        Client(REMOTE_ADDR=f"198.51.100.{n}")
        .post(RESET, {"email": focal_mex.email.upper()})
        .status_code
        for n in range(3)
    ]

    assert answers == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_the_account_limit_says_the_same_for_an_unknown_address(settings):
    settings.PORTAL_LIMITS = {
        **settings.PORTAL_LIMITS,
        "password-reset-account": "1/hour",
    }
    client = Client()
    client.post(RESET, {"email": "nobody@example.org"})

    refused = client.post(RESET, {"email": "nobody@example.org"})

    assert refused.status_code == 429
    assert "Too many password resets" in refused.content.decode()


def test_web_report_requests_share_the_api_s_limit(settings, reviewer, cycle):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "reports": "2/hour",
        },
    }
    client = Client()
    client.force_login(reviewer)
    form = {"cycle": cycle.slug, "language": "en"}
    for _ in range(2):
        client.post("/en/reports/generate/", form)

    refused = client.post("/en/reports/generate/", form, follow=True)
    api = client.post(
        "/api/v1/reports/",
        {"cycle": cycle.slug, "language": "en", "member_state": None},
        content_type="application/json",
    )

    assert ReportRun.objects.count() == 2
    assert "You have asked for many reports in a short time" in (
        refused.content.decode()
    )
    assert api.status_code == 429


def test_the_limit_counts_in_fixed_windows(settings):
    settings.PORTAL_LIMITS = {"signin-address": "2/hour"}
    limit = limits.Limit("signin-address")

    limit.hit("198.51.100.1")
    assert limit.wait("198.51.100.1") == 0
    limit.hit("198.51.100.1")

    assert 0 < limit.wait("198.51.100.1") <= 3600
    assert limit.wait("198.51.100.2") == 0


# --- 7 and 8. Reset emails: links on SITE_URL, sent by the worker ------------------


def test_the_reset_link_is_built_on_site_url_whatever_the_host_header(
    settings, focal_mex
):
    settings.SITE_URL = "https://portal.example.org"
    settings.ALLOWED_HOSTS = ["*"]

    Client().post(RESET, {"email": focal_mex.email}, HTTP_HOST="localhost:31337")

    (message,) = mail.outbox
    assert "https://portal.example.org/en/accounts/password/reset/" in message.body
    assert "31337" not in message.body


def test_the_reset_email_is_in_the_asker_s_language(settings, focal_mex):
    Client().post("/es/accounts/password/reset/", {"email": focal_mex.email})

    (message,) = mail.outbox
    assert "/es/accounts/password/reset/" in message.body


@pytest.mark.parametrize("known", [True, False])
def test_the_reset_page_leaves_the_look_up_to_the_worker(monkeypatch, focal_mex, known):
    queued = []
    monkeypatch.setattr(
        tasks.send_password_reset, "delay", lambda **kwargs: queued.append(kwargs)
    )
    email = focal_mex.email if known else "nobody@example.org"

    response = Client().post(RESET, {"email": email})

    assert response.status_code == 302
    assert queued == [{"email": email.lower(), "language": "en"}]
    assert mail.outbox == []  # nothing looked up or sent while the visitor waits


# --- 7. The feed's links ----------------------------------------------------------


def test_the_feed_s_links_come_from_site_url_not_the_host_header(
    settings, focal_mex, reviewer, cycle, mexico
):
    settings.SITE_URL = "https://portal.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    update = services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=3),
        content=content(),
    )
    update = services.progress_update_submit(update=update, actor=focal_mex)
    services.progress_update_accept(
        update=update,
        actor=reviewer,
        checklist=dict.fromkeys(services.REVIEW_CHECKLIST, True),
    )

    first = Client().get("/en/feed/", HTTP_HOST="evil.example:31337")
    second = Client().get("/en/feed/", HTTP_HOST="portal.example.org")

    assert first.content == second.content  # one cached feed, whoever came first
    feed = ElementTree.fromstring(first.content)  # noqa: S314 - our own feed
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    ids = [element.text for element in feed.iter(f"{ATOM}id")]
    assert links and ids
    assert all(url.startswith("https://portal.example.org/") for url in links)
    # Entry ids are tag: URIs (RFC 4151) on SITE_URL's host, the feed's its address.
    assert all(
        url.startswith(("https://portal.example.org/", "tag:portal.example.org,"))
        for url in ids
    )
    assert b"evil.example" not in first.content


# --- 10. Private answers are not stored -------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/en/workspace/MEX/", "/en/accounts/security/", "/en/accounts/notifications/"],
)
def test_signed_in_pages_are_private_and_not_stored(client, focal_mex, path):
    client.force_login(focal_mex)

    response = client.get(path)

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_the_token_answer_and_authenticated_api_reads_are_not_stored(focal_mex):
    client = Client()
    answer = client.post(
        "/api/v1/auth/token/",
        {"username": "maria", "password": PASSWORD},
        content_type="application/json",
    )
    token = answer.json()["token"]
    read = client.get("/api/v1/progress-updates/", HTTP_AUTHORIZATION=f"Token {token}")

    for response in (answer, read):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_anonymous_public_reads_stay_cacheable(client):
    assert "no-store" not in client.get("/en/recommendations/")["Cache-Control"]
    assert "no-store" not in client.get("/api/v1/themes/").get("Cache-Control", "")


# --- 11. API throttles key on the client's address as the proxy saw it ------------


def test_a_forged_forwarded_header_does_not_escape_the_api_throttle(settings):
    settings.TRUSTED_PROXIES = 1
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "3/minute",
        },
    }
    client = Client(REMOTE_ADDR="10.0.0.2")  # the proxy
    answers = [
        client.get(
            "/api/v1/themes/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {ATTACKER}"
        ).status_code
        for n in range(4)
    ]
    other = client.get("/api/v1/themes/", HTTP_X_FORWARDED_FOR=COLLEAGUE)

    assert answers == [200, 200, 200, 429]
    assert other.status_code == 200
