"""The API's door: the token endpoint locks out like the web login, and asks for the
one-time code where two-factor sign-in applies, so the API is no way around it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken, SecurityEvent, SecurityPolicy
from tests.factories import PASSWORD, RECOVERY_CODES, totp_code, turn_on_two_factor

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ATTACKER = "198.51.100.66"


@pytest.fixture(autouse=True)
def _no_device_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def ask(client: APIClient, username: str = "maria", password: str = PASSWORD, **more):
    return client.post(
        TOKEN, {"username": username, "password": password, **more}, format="json"
    )


def error(response) -> dict:
    return response.json()["error"]


# --- Lockout ----------------------------------------------------------------------


def test_repeated_failures_lock_the_username_at_that_address(focal_mex):
    attacker = APIClient(REMOTE_ADDR=ATTACKER)

    answers = [ask(attacker, password="guess") for _ in range(5)]
    right = ask(attacker)

    assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
    assert error(answers[0])["code"] == "invalid_credentials"
    assert right.status_code == 429
    assert error(right)["code"] == "locked_out"
    assert "Try again in 15 minutes" in error(right)["message"]
    assert right["Retry-After"] == str(15 * 60)
    assert not ApiToken.objects.exists()


def test_the_user_elsewhere_and_others_at_that_address_are_not_locked_out(
    focal_mex, focal_bra
):
    attacker = APIClient(REMOTE_ADDR=ATTACKER)
    for _ in range(5):
        ask(attacker, password="guess")

    assert ask(APIClient(REMOTE_ADDR="198.51.100.77")).status_code == 200
    assert ask(attacker, username="bruno").status_code == 200


def test_web_and_api_failures_count_together(client, focal_mex):
    for _ in range(3):
        client.post(
            "/en/accounts/login/",
            {"username": "maria", "password": "guess"},
            REMOTE_ADDR=ATTACKER,
        )
    api = APIClient(REMOTE_ADDR=ATTACKER)

    assert ask(api, password="guess").status_code == 400
    assert ask(api, password="guess").status_code == 429


def test_the_schema_documents_the_lockout_and_the_code(client):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]

    assert "locked_out" in operation["responses"]["429"]["description"]
    assert "otp_required" in operation["responses"]["400"]["description"]
    assert "two_factor_setup_required" in operation["responses"]["403"]["description"]
    request = schema["components"]["schemas"]["TokenRequestRequest"]
    assert "otp" in request["properties"] and "otp" not in request["required"]


# --- Two-factor sign-in -----------------------------------------------------------


def test_with_two_factor_the_token_needs_a_code(focal_mex):
    device = turn_on_two_factor(focal_mex)
    client = APIClient()

    missing = ask(client)
    wrong = ask(client, otp="000000")
    right = ask(client, otp=totp_code(device))

    assert missing.status_code == 400 and error(missing)["code"] == "otp_required"
    assert wrong.status_code == 400 and error(wrong)["code"] == "otp_invalid"
    assert right.status_code == 200
    assert str(ApiToken.objects.get(user=focal_mex).pk) == right.json()["id"]
    issued = SecurityEvent.objects.get(kind="token_issued")
    assert issued.user == focal_mex and issued.door == "api"


def test_a_code_is_not_accepted_twice(focal_mex):
    device = turn_on_two_factor(focal_mex)
    code = totp_code(device)
    assert ask(APIClient(), otp=code).status_code == 200

    replayed = ask(APIClient(), otp=code)

    assert replayed.status_code == 400 and error(replayed)["code"] == "otp_invalid"


def test_a_recovery_code_works_once(focal_mex):
    turn_on_two_factor(focal_mex)

    assert ask(APIClient(), otp=RECOVERY_CODES[2]).status_code == 200
    assert ask(APIClient(), otp=RECOVERY_CODES[2]).status_code == 400


def test_a_code_without_the_right_password_gets_nothing(focal_mex):
    device = turn_on_two_factor(focal_mex)

    response = ask(APIClient(), password="guess", otp=totp_code(device))

    assert response.status_code == 400
    assert error(response)["code"] == "invalid_credentials"


def test_wrong_codes_count_towards_the_lockout(focal_mex):
    device = turn_on_two_factor(focal_mex)
    attacker = APIClient(REMOTE_ADDR=ATTACKER)

    answers = [ask(attacker, otp="000000").status_code for _ in range(5)]

    assert answers == [400, 400, 400, 400, 429]
    locked = ask(attacker, otp=totp_code(device))
    assert locked.status_code == 429 and error(locked)["code"] == "locked_out"
    failures = SecurityEvent.objects.filter(kind="sign_in_failed", detail="code")
    assert failures.count() == 5 and failures.first().door == "api"


def test_where_required_and_not_set_up_no_token_is_given(focal_mex, reviewer):
    SecurityPolicy.objects.filter(pk=1).update(require_two_factor_secretariat=True)
    from django.core.cache import cache

    cache.clear()

    refused = ask(APIClient(), username="rita")
    focal = ask(APIClient())

    assert refused.status_code == 403
    assert error(refused)["code"] == "two_factor_setup_required"
    assert focal.status_code == 200  # the policy does not cover focal points


def test_the_throttle_of_the_device_answers_in_the_api_format(settings, focal_mex):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = turn_on_two_factor(focal_mex)
    ask(APIClient(), otp="000000")

    too_soon = ask(APIClient(), otp=totp_code(device))

    assert too_soon.status_code == 400
    assert error(too_soon)["code"] == "otp_throttled"
