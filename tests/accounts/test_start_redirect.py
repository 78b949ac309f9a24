"""After signing in, each person lands on their start page, unless ``next`` says
where they were going: with the password alone, after the two-factor step, and on
joining through an invitation."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Role, User
from tests.factories import PASSWORD, totp_code, turn_on_two_factor

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"
CODE = "/en/accounts/login/code/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def sign_in(client: Client, user, login: str = LOGIN, **extra):
    return client.post(
        login, {"username": user.username, "password": PASSWORD, **extra}
    )


@pytest.mark.parametrize("role", ["focal_mex", "reviewer", "secretariat_admin"])
def test_signing_in_lands_on_the_start_page(client, who, role):
    response = sign_in(client, who(role))

    assert response.status_code == 302
    assert response["Location"] == "/en/start/"
    assert client.get("/en/start/").status_code == 200


def test_the_start_page_is_in_the_language_of_the_sign_in(client, focal_mex):
    response = sign_in(client, focal_mex, login="/es/accounts/login/")

    assert response["Location"] == "/es/start/"


def test_next_wins_over_the_start_page(client, focal_mex):
    response = sign_in(client, focal_mex, next="/en/workspace/MEX/")

    assert response["Location"] == "/en/workspace/MEX/"


def test_a_next_to_another_site_is_ignored(client, focal_mex):
    response = sign_in(client, focal_mex, next="https://evil.example/")

    assert response["Location"] == "/en/start/"


def test_the_two_factor_step_lands_on_the_start_page(client, focal_mex):
    device = turn_on_two_factor(focal_mex)

    assert sign_in(client, focal_mex)["Location"] == CODE
    response = client.post(CODE, {"code": totp_code(device)})

    assert response["Location"] == "/en/start/"


def test_the_two_factor_step_keeps_next(client, focal_mex):
    device = turn_on_two_factor(focal_mex)

    sign_in(client, focal_mex, next="/en/review/")
    response = client.post(CODE, {"code": totp_code(device)})

    assert response["Location"] == "/en/review/"


def test_a_focal_point_joining_by_invitation_lands_on_the_start_page(
    client, secretariat_admin, mexico
):
    client.force_login(secretariat_admin)
    client.post(
        "/en/accounts/users/invite/",
        {
            "email": "ana@gob.example",
            "first_name": "Ana",
            "role": Role.FOCAL_POINT,
            "member_state": "MEX",
            "language": "en",
        },
    )
    client.logout()
    link = re.search(
        r"https?://\S+(/en/accounts/invitation/\S+/)", mail.outbox[-1].body
    )

    password = "another-long-password-77"
    response = client.post(
        link.group(1),
        {"username": "ana", "password1": password, "password2": password},
    )

    assert response.status_code == 302
    assert response["Location"] == "/en/start/"
    assert User.objects.filter(username="ana").exists()
    assert "Mexico: what is due" in client.get("/en/start/").content.decode()
