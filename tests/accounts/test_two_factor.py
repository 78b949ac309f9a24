"""Two-factor sign-in on the web: the two steps of the login, wrong, reused and
recovery codes, turning it on and off, and the policy that requires it."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import sessions, two_factor
from accounts.models import ApiToken, SecurityEvent, SecurityPolicy
from tests.factories import (
    PASSWORD,
    RECOVERY_CODES,
    totp_code,
    totp_next_code,
    turn_on_two_factor,
)

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"
CODE = "/en/accounts/login/code/"
SETUP = "/en/accounts/security/two-factor/"


@pytest.fixture(autouse=True)
def _fast_passwords_and_no_device_throttle(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test of throttling turns it back on.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def password_step(client: Client, username: str = "maria", next_url: str = ""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


# --- The login in two steps -------------------------------------------------------


def test_the_password_alone_does_not_sign_in_a_user_with_two_factor(focal_mex):
    device = turn_on_two_factor(focal_mex)
    client = Client()

    response = password_step(client, next_url="/en/workspace/MEX/")

    assert response.status_code == 302 and response["Location"] == CODE
    assert not signed_in(client)
    assert client.get("/en/workspace/MEX/").status_code == 302  # to the login
    page = client.get(CODE).content.decode()
    assert "<h1>Sign in: code</h1>" in page and 'autocomplete="one-time-code"' in page

    done = client.post(CODE, {"code": totp_code(device)})

    assert done.status_code == 302 and done["Location"] == "/en/workspace/MEX/"
    assert signed_in(client)
    assert client.get("/en/workspace/MEX/").status_code == 200
    event = SecurityEvent.objects.get(kind="signed_in")
    assert event.user == focal_mex and event.detail == "two factors"


def test_a_user_without_two_factor_signs_in_with_the_password(focal_mex):
    client = Client()

    assert password_step(client).status_code == 302
    assert signed_in(client)


def test_a_wrong_code_does_not_sign_in(focal_mex):
    device = turn_on_two_factor(focal_mex)
    client = Client()
    password_step(client)

    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(CODE, {"code": wrong})

    assert response.status_code == 200
    assert "That code is not valid, or was used already." in response.content.decode()
    assert not signed_in(client)
    failed = SecurityEvent.objects.get(kind="sign_in_failed")
    assert failed.username == "maria" and failed.detail == "code"


def test_a_code_is_never_accepted_twice(focal_mex):
    device = turn_on_two_factor(focal_mex)
    code = totp_code(device)
    first = Client()
    password_step(first)
    first.post(CODE, {"code": code})
    assert signed_in(first)

    # Someone who saw the code (and knows the password) tries it at once.
    second = Client()
    password_step(second)
    response = second.post(CODE, {"code": code})

    assert response.status_code == 200 and not signed_in(second)
    # The next code of the app works.
    assert second.post(CODE, {"code": totp_next_code(device)}).status_code == 302


def test_a_code_that_arrives_in_the_next_step_signs_in_and_the_app_goes_on(
    focal_mex, monkeypatch
):
    """A focal point on a slow line types the code as it is about to change; it
    reaches the server in the next step. It signs in, and so does the next code
    the app shows, though the server now counts that step as one behind."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp import models as totp_models

    def shown_at(moment: float) -> str:
        app = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
        app.time = moment
        return f"{app.token():06d}"

    device = turn_on_two_factor(focal_mex)
    step_start = (int(time.time()) // 30 + 5) * 30
    clock = SimpleNamespace(time=lambda: step_start + 1)
    monkeypatch.setattr(totp_models, "time", clock)
    first = Client()
    password_step(first)
    assert first.post(CODE, {"code": shown_at(step_start - 1)}).status_code == 302

    device.refresh_from_db()
    assert device.drift == -1
    clock.time = lambda: step_start + 31
    second = Client()
    password_step(second)
    assert second.post(CODE, {"code": shown_at(step_start + 31)}).status_code == 302


def test_a_recovery_code_signs_in_once(focal_mex):
    turn_on_two_factor(focal_mex)
    client = Client()
    password_step(client)

    response = client.post(CODE, {"code": RECOVERY_CODES[0].upper()}, follow=True)

    assert signed_in(client)
    assert "recovery code, which is now used up: 2 left" in response.content.decode()
    client.post("/en/accounts/logout/")
    password_step(client)
    again = client.post(CODE, {"code": RECOVERY_CODES[0]})
    assert again.status_code == 200 and not signed_in(client)
    assert StaticToken.objects.filter(device__user=focal_mex).count() == 2


def test_wrong_codes_count_towards_the_lockout(focal_mex):
    device = turn_on_two_factor(focal_mex)
    client = Client(REMOTE_ADDR="198.51.100.66")
    password_step(client)

    answers = [client.post(CODE, {"code": "000000"}).status_code for _ in range(5)]

    assert answers == [200, 200, 200, 200, 429]
    locked = client.post(CODE, {"code": totp_code(device)})
    assert locked.status_code == 429 and not signed_in(client)
    assert "Sign-in locked" in locked.content.decode()


def test_the_device_slows_down_after_a_wrong_code(settings, focal_mex):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = turn_on_two_factor(focal_mex)
    client = Client()
    password_step(client)
    client.post(CODE, {"code": "000000"})

    too_soon = client.post(CODE, {"code": totp_code(device)})

    assert "Too many wrong codes: wait 1 seconds" in too_soon.content.decode()
    assert not signed_in(client)
    time.sleep(1.1)
    assert client.post(CODE, {"code": totp_code(device)}).status_code == 302


def test_the_code_step_needs_a_fresh_password_step(settings, focal_mex):
    device = turn_on_two_factor(focal_mex)
    client = Client()
    assert client.get(CODE).status_code == 302  # no password step at all

    password_step(client)
    session = client.session
    session[sessions.PENDING_KEY]["at"] -= settings.TWO_FACTOR_PENDING_SECONDS + 1
    session.save()
    response = client.post(CODE, {"code": totp_code(device)}, follow=True)

    assert response.redirect_chain[0] == (LOGIN, 302)
    assert "took too long" in response.content.decode()
    assert not signed_in(client)


def test_a_session_opened_before_two_factor_was_turned_on_ends(client, focal_mex):
    client.force_login(focal_mex)
    assert client.get("/en/workspace/MEX/").status_code == 200

    turn_on_two_factor(focal_mex)  # turned on from another browser

    assert client.get("/en/workspace/MEX/").status_code == 302
    assert not signed_in(client)


# --- Turning it on and off --------------------------------------------------------


def test_turning_two_factor_on_shows_a_qr_code_and_recovery_codes_once(
    client, focal_mex
):
    ApiToken.objects.create(user=focal_mex, name="before")
    ApiToken.objects.create(user=focal_mex, name="also before")
    client.force_login(focal_mex)

    page = client.get(SETUP).content.decode()

    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.DOTALL).group(0)
    assert 'role="img"' in svg and "style=" not in svg
    assert "style=" not in page and "<script" not in page
    device = TOTPDevice.objects.get(user=focal_mex, confirmed=False)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert secret.replace(" ", "") in device.config_url
    assert client.get(SETUP).content.decode().count(secret) == 1  # same secret

    wrong = client.post(SETUP, {"code": "123456"})
    assert "not the one your app shows now" in wrong.content.decode()
    response = client.post(SETUP, {"code": totp_code(device)}, follow=True)

    codes = re.findall(
        r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode()
    )
    assert len(codes) == 10
    assert (
        client.get("/en/accounts/security/two-factor/recovery-codes/")
        .content.decode()
        .count("<li><code>")
        == 0
    )
    assert two_factor.has_two_factor(focal_mex)
    assert not ApiToken.objects.filter(user=focal_mex).exists()  # got without a code
    revoked = SecurityEvent.objects.get(kind="token_revoked")
    assert revoked.detail == "all (2): two_factor_enabled"
    assert client.get("/en/workspace/MEX/").status_code == 200  # still signed in
    assert SecurityEvent.objects.filter(kind="two_factor_enabled").count() == 1
    # The next sign-in asks for a code; a recovery code works.
    client.post("/en/accounts/logout/")
    password_step(client)
    assert client.post(CODE, {"code": codes[3]}).status_code == 302


def test_turning_two_factor_off_needs_a_code(client, focal_mex):
    device = turn_on_two_factor(focal_mex)
    password_step(client)
    client.post(CODE, {"code": totp_code(device)})
    ApiToken.objects.create(user=focal_mex, name="got with a code")

    refused = client.post("/en/accounts/security/two-factor/off/", {"code": "000000"})
    assert refused.status_code == 200 and two_factor.has_two_factor(focal_mex)
    done = client.post(
        "/en/accounts/security/two-factor/off/", {"code": totp_next_code(device)}
    )

    assert done.status_code == 302
    assert not two_factor.has_two_factor(focal_mex)
    assert not StaticToken.objects.filter(device__user=focal_mex).exists()
    assert not ApiToken.objects.filter(user=focal_mex).exists()
    client.post("/en/accounts/logout/")
    assert password_step(client).status_code == 302 and signed_in(client)


def test_new_recovery_codes_replace_the_old_ones(client, focal_mex):
    device = turn_on_two_factor(focal_mex)
    password_step(client)
    client.post(CODE, {"code": totp_code(device)})

    response = client.post(
        "/en/accounts/security/two-factor/recovery-codes/new/",
        {"code": totp_next_code(device)},
        follow=True,
    )

    codes = re.findall(
        r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode()
    )
    assert len(codes) == 10 and not set(codes) & set(RECOVERY_CODES)
    client.post("/en/accounts/logout/")
    password_step(client)
    assert client.post(CODE, {"code": RECOVERY_CODES[1]}).status_code == 200
    assert client.post(CODE, {"code": codes[0]}).status_code == 302


def test_the_account_page_says_where_two_factor_stands(client, focal_mex):
    client.force_login(focal_mex)
    assert (
        "Set up two-factor sign-in"
        in client.get("/en/accounts/security/").content.decode()
    )


# --- The policy -------------------------------------------------------------------


def require(**flags: bool) -> None:
    SecurityPolicy.objects.filter(pk=1).update(**flags)
    from django.core.cache import cache

    cache.clear()


def test_where_required_a_user_sets_it_up_before_anything_else(client, focal_mex):
    require(require_two_factor_focal_points=True)

    response = password_step(client, next_url="/en/workspace/MEX/")
    assert signed_in(client)
    page = client.get(response["Location"])

    assert page.status_code == 302
    assert page["Location"].startswith(SETUP + "?next=")
    assert client.get("/en/reports/").status_code == 302
    api = client.post("/api/v1/progress-updates/", {}, content_type="application/json")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "two_factor_setup_required"
    assert (
        "requires two-factor sign-in for your role"
        in client.get(SETUP).content.decode()
    )

    device = TOTPDevice.objects.get(user=focal_mex)
    client.post(f"{SETUP}?next=/en/workspace/MEX/", {"code": totp_code(device)})
    codes_page = client.get("/en/accounts/security/two-factor/recovery-codes/")
    assert 'href="/en/workspace/MEX/"' in codes_page.content.decode()
    assert client.get("/en/workspace/MEX/").status_code == 200


def test_the_policy_for_the_secretariat_leaves_focal_points_alone(
    client, reviewer, focal_mex
):
    require(require_two_factor_secretariat=True)

    client.force_login(focal_mex)
    assert client.get("/en/workspace/MEX/").status_code == 200
    client.force_login(reviewer)
    assert client.get("/en/review/").status_code == 302


def test_only_secretariat_admins_set_the_policy(client, reviewer, secretariat_admin):
    client.force_login(reviewer)
    assert client.get("/en/accounts/security/policy/").status_code == 403
    assert (
        client.post(
            "/en/accounts/security/policy/", {"require_two_factor_secretariat": "on"}
        ).status_code
        == 403
    )
    assert not SecurityPolicy.objects.get().require_two_factor_secretariat

    client.force_login(secretariat_admin)
    client.post(
        "/en/accounts/security/policy/", {"require_two_factor_focal_points": "on"}
    )
    policy = SecurityPolicy.objects.get()
    assert policy.require_two_factor_focal_points
    assert policy.updated_by == secretariat_admin


def test_a_new_policy_revokes_the_tokens_of_those_without_two_factor(
    client, secretariat_admin, focal_mex, focal_bra, reviewer
):
    turn_on_two_factor(focal_bra)
    for user in (focal_mex, focal_bra, reviewer):
        ApiToken.objects.create(user=user)
    client.force_login(secretariat_admin)

    client.post(
        "/en/accounts/security/policy/", {"require_two_factor_focal_points": "on"}
    )

    assert set(ApiToken.objects.values_list("user__username", flat=True)) == {
        "bruno",
        "rita",
    }
    revoked = SecurityEvent.objects.get(kind="token_revoked")
    assert revoked.user == focal_mex and revoked.actor == secretariat_admin


def test_an_admin_resets_a_lost_phone(client, secretariat_admin, focal_mex):
    turn_on_two_factor(focal_mex)
    ApiToken.objects.create(user=focal_mex, name="state system")
    client.force_login(secretariat_admin)
    assert (
        "Reset two-factor sign-in" in client.get("/en/accounts/users/").content.decode()
    )

    client.post(f"/en/accounts/users/{focal_mex.pk}/reset-two-factor/")

    assert not two_factor.has_two_factor(focal_mex)
    event = SecurityEvent.objects.get(kind="two_factor_reset")
    assert event.user == focal_mex and event.actor == secretariat_admin
    assert not ApiToken.objects.filter(user=focal_mex).exists()
    revoked = SecurityEvent.objects.get(kind="token_revoked")
    assert revoked.actor == secretariat_admin
    assert revoked.detail == "all (1): two_factor_reset"


def test_only_admins_reset_two_factor(client, reviewer, focal_mex):
    turn_on_two_factor(focal_mex)
    client.force_login(reviewer)

    response = client.post(f"/en/accounts/users/{focal_mex.pk}/reset-two-factor/")

    assert response.status_code == 403 and two_factor.has_two_factor(focal_mex)
