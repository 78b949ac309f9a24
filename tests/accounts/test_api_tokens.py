"""API tokens on the account's security page (listed, revoked one by one or all),
and revoked with the password (changed or reset) and with the account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken, SecurityEvent, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PAGE = "/en/accounts/security/"
NEW_PASSWORD = "another-long-password-77"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token_for(user: User, name: str = "") -> tuple[ApiToken, str]:
    return ApiToken.objects.create(user=user, name=name)


def works(secret: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client.get("/api/v1/progress-updates/").status_code == 200


def page_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf(client: Client) -> str:
    html = client.get(PAGE).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


# --- The account's security page ---------------------------------------------------


def test_the_page_lists_the_users_own_tokens_without_secrets(focal_mex, focal_bra):
    system, system_secret = token_for(focal_mex, "SIRENA export")
    script, _secret = token_for(focal_mex)
    brunos, _secret = token_for(focal_bra, "Brazil's system")
    works(system_secret)  # marks it used

    html = page_client(focal_mex).get(PAGE).content.decode()

    assert '<h2 id="api-tokens">API tokens</h2>' in html
    assert '<th scope="row">SIRENA export</th>' in html
    assert '<th scope="row">No name</th>' in html
    assert f'name="revoke" value="{system.pk}"' in html
    assert f'name="revoke" value="{script.pk}"' in html
    assert "Never" in html  # the script's token was never used
    assert "Brazil&#x27;s system" not in html and str(brunos.pk) not in html
    for token in ApiToken.objects.all():
        assert token.digest not in html and token.token_key not in html
    assert system_secret not in html


def test_the_page_says_when_there_is_no_token(focal_mex):
    html = page_client(focal_mex).get(PAGE).content.decode()

    assert "You have no API token." in html and 'name="revoke_all"' not in html


def test_revoking_a_token_on_the_page_needs_the_csrf_token(focal_mex):
    token, secret = token_for(focal_mex, "SIRENA export")
    client = page_client(focal_mex)

    refused = client.post(PAGE, {"revoke": str(token.pk)})

    assert refused.status_code == 403 and works(secret)


def test_the_owner_revokes_one_token_on_the_page(focal_mex):
    revoked, revoked_secret = token_for(focal_mex, "SIRENA export")
    _kept, kept_secret = token_for(focal_mex, "nightly script")
    client = page_client(focal_mex)

    response = client.post(
        PAGE, {"revoke": str(revoked.pk), "csrfmiddlewaretoken": csrf(client)}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#api-tokens"
    assert not works(revoked_secret) and works(kept_secret)
    page = client.get(PAGE).content.decode()
    assert "The API token “SIRENA export” is revoked." in page
    event = SecurityEvent.objects.get(kind="token_revoked")
    assert event.user == focal_mex and event.door == "web"
    assert event.detail == f"{revoked.pk} SIRENA export"


def test_the_owner_revokes_all_its_tokens_on_the_page(focal_mex, focal_bra):
    secrets = [token_for(focal_mex, name)[1] for name in ("a", "b", "c")]
    _token, brunos_secret = token_for(focal_bra)
    client = page_client(focal_mex)

    client.post(PAGE, {"revoke_all": "1", "csrfmiddlewaretoken": csrf(client)})

    assert not any(works(secret) for secret in secrets)
    assert works(brunos_secret)
    assert "3 API tokens revoked." in client.get(PAGE).content.decode()
    event = SecurityEvent.objects.get(kind="token_revoked")
    assert event.detail == "all (3): owner"


def test_nobody_revokes_another_users_token_on_the_page(focal_mex, focal_bra):
    brunos, brunos_secret = token_for(focal_bra, "Brazil's system")
    client = page_client(focal_mex)
    token = csrf(client)

    for value in (str(brunos.pk), "not-an-id", ""):
        response = client.post(PAGE, {"revoke": value, "csrfmiddlewaretoken": token})
        assert response.status_code == 404, value
    assert works(brunos_secret)
    assert not SecurityEvent.objects.filter(kind="token_revoked").exists()


# --- Revoked with the password and the account ------------------------------------


def test_a_password_change_revokes_all_tokens(client, focal_mex, focal_bra):
    secrets = [token_for(focal_mex, name)[1] for name in ("a", "b")]
    _token, brunos_secret = token_for(focal_bra)
    client.force_login(focal_mex)

    response = client.post(
        "/en/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302, response.content.decode()
    assert not any(works(secret) for secret in secrets)
    assert not ApiToken.objects.filter(user=focal_mex).exists()
    assert works(brunos_secret)
    event = SecurityEvent.objects.get(kind="token_revoked")
    assert event.user == focal_mex and event.actor is None
    assert event.detail == "all (2): password_changed"


def test_a_password_reset_revokes_all_tokens(client, focal_mex):
    _token, secret = token_for(focal_mex, "SIRENA export")
    client.post("/en/accounts/password/reset/", {"email": focal_mex.email})
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True).redirect_chain[-1][0]
    assert works(secret)  # asking for a reset changes nothing yet

    response = client.post(
        form, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/password/reset/complete/"
    assert not works(secret)
    assert not ApiToken.objects.filter(user=focal_mex).exists()


def test_a_password_rehashed_at_sign_in_keeps_the_tokens(client, focal_mex):
    # A hash Django finds too weak (here, a short salt) is made again at the next
    # sign-in: the same password, so the tokens stay.
    weak = make_password(PASSWORD, salt="ab", hasher="md5")
    User.objects.filter(pk=focal_mex.pk).update(password=weak)
    _token, secret = token_for(focal_mex)

    client.post("/en/accounts/login/", {"username": "maria", "password": PASSWORD})

    focal_mex.refresh_from_db()
    assert focal_mex.password != weak  # rehashed
    assert works(secret)


def test_a_password_made_unusable_revokes_the_tokens(focal_mex):
    _token, secret = token_for(focal_mex)

    focal_mex.set_unusable_password()
    focal_mex.save()

    assert not works(secret)


def test_deactivation_on_the_users_page_revokes_all_tokens(
    client, secretariat_admin, focal_bra
):
    _token, secret = token_for(focal_bra, "Brazil's system")
    client.force_login(secretariat_admin)

    client.post(f"/en/accounts/users/{focal_bra.pk}/deactivate/")

    assert not ApiToken.objects.filter(user=focal_bra).exists()
    assert not works(secret)
    event = SecurityEvent.objects.get(kind="token_revoked")
    assert event.user == focal_bra and event.actor == secretariat_admin
    assert event.detail == "all (1): deactivated"
    # Even if the account comes back, the token does not.
    User.objects.filter(pk=focal_bra.pk).update(is_active=True)
    assert not works(secret)


def test_other_changes_to_the_account_keep_the_tokens(focal_mex):
    _token, secret = token_for(focal_mex)

    focal_mex.first_name = "María"
    focal_mex.save()
    focal_mex.save(update_fields=["last_login"])

    assert works(secret)
    assert not SecurityEvent.objects.filter(kind="token_revoked").exists()
